"""Use cases for applications: the only code that writes them (reviews live in review services).

Drafts are saved field by field with optimistic concurrency: every save names the version it
was based on and, per field, a hash of the value it started from. A field another member
changed in the meantime is never overwritten silently: the save reports a conflict for that
field and keeps the other member's text; fields nobody else touched are saved.

Submission compares the database clock with the deadline (the call's, or the applicant's own
extension) inside the transaction that freezes the content, whatever the call's state says.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organisation
from accounts.roles import MANAGER
from audit.services import audit_record
from audit.transitions import TransitionRefused, transition_run
from config import hotpath
from grants.models import BudgetHeading, Call, CallState, HeadingKind, Question, RequiredDocument
from workers.messenger import notify_user

from . import uploads
from .models import Application, ApplicationState, Attachment, BudgetLine

CENT = Decimal("0.01")
TEXT_MAX = 100_000  # a draft keeps over-long text (the limit is checked on submission), up to this
BUDGET_MAX_ROWS = 200
SCALAR_FIELDS = ["title", "summary", "requested_amount", "cofinancing_amount", "duration_months"]
EDIT = "applications.edit_application"
SCREEN = "applications.screen_application"

# The administrative checklist a programme manager goes through before marking an application
# eligible. Keys are identifiers (never translated); labels are shown in the user's language.
CHECKLIST = [
    ("on_time", gettext_lazy("Submitted before the deadline (the system's record).")),
    ("organisation", gettext_lazy("The organisation is of an eligible type and country, and its registration is valid.")),
    ("limits", gettext_lazy("The amount requested, the duration and the co-financing are within the call's limits.")),
    ("budget", gettext_lazy("The budget is complete and consistent, with indirect costs within the cap.")),
    ("documents", gettext_lazy("Every required document is attached, complete, legible and signed where needed.")),
]


def checklist_items():
    return [(key, str(label)) for key, label in CHECKLIST]


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- field values, hashes and parsing -------------------------------------------------------

def question_field(question_id) -> str:
    return f"q{question_id}"


def _text(value) -> str:
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n")


def _decimal_str(value) -> str:
    return "" if value is None else str(money(value))


def budget_rows(lines) -> list[dict]:
    return [{"heading": line.heading_id, "description": line.description,
             "units": _decimal_str(line.units), "unit_cost": _decimal_str(line.unit_cost)} for line in lines]


def application_values(app: Application, questions, lines) -> dict:
    """Every editable field of the draft in its canonical form (what hashes are made of)."""
    values = {
        "title": app.title, "summary": app.summary,
        "requested_amount": _decimal_str(app.requested_amount),
        "cofinancing_amount": _decimal_str(app.cofinancing_amount),
        "duration_months": "" if app.duration_months is None else str(app.duration_months),
        "budget": budget_rows(lines),
    }
    answers = app.answers or {}
    for q in questions:
        values[question_field(q.pk)] = answers.get(str(q.pk), "")
    return values


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def value_hash(value) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()[:20]


def application_hashes(values: dict) -> dict:
    return {name: value_hash(value) for name, value in values.items()}


def _parse_decimal(raw, name, errors, *, minimum=Decimal("0"), max_digits=14):
    text = str(raw if raw is not None else "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if text == "":
        return ""
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.setdefault(name, []).append(_("Enter a number."))
        return None
    if not value.is_finite() or value < minimum:
        errors.setdefault(name, []).append(_("Enter a number of at least %(min)s.") % {"min": minimum})
        return None
    value = money(value)
    if len(value.as_tuple().digits) > max_digits:
        errors.setdefault(name, []).append(_("This number is too large."))
        return None
    return str(value)


def _parse_budget(raw, headings: dict, errors) -> list | None:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "[]")
        except ValueError:
            errors.setdefault("budget", []).append(_("The budget table could not be read."))
            return None
    if not isinstance(raw, list) or len(raw) > BUDGET_MAX_ROWS:
        errors.setdefault("budget", []).append(_("The budget table could not be read."))
        return None
    rows, problems = [], []
    for number, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            problems.append(_("Row %(n)s could not be read.") % {"n": number})
            continue
        description = _text(row.get("description")).strip()
        units, cost = str(row.get("units") or "").strip(), str(row.get("unit_cost") or "").strip()
        heading = str(row.get("heading") or "").strip()
        if not (description or units or cost):
            continue  # an empty row
        row_errors = {}
        try:
            heading_id = int(heading)
        except ValueError:
            heading_id = None
        if heading_id not in headings:
            problems.append(_("Row %(n)s: choose a budget heading.") % {"n": number})
        if len(description) > 300:
            problems.append(_("Row %(n)s: the description is longer than 300 characters.") % {"n": number})
        units_value = _parse_decimal(units or "0", "units", row_errors, max_digits=12)
        cost_value = _parse_decimal(cost or "0", "unit_cost", row_errors)
        if row_errors:
            problems.append(_("Row %(n)s: units and unit cost must be numbers of at least 0.") % {"n": number})
        rows.append({"heading": heading_id, "description": description, "units": units_value or "0.00",
                     "unit_cost": cost_value or "0.00"})
    if problems:
        errors.setdefault("budget", []).extend(problems)
        return None
    return rows


def _parse_field(name, raw, *, headings, question_ids, errors):
    """The canonical value of one submitted field, or None when it cannot be saved."""
    if name in ("title", "summary") or (name.startswith("q") and name[1:].isdigit()):
        if name.startswith("q") and name not in question_ids:
            errors.setdefault(name, []).append(_("This question is not part of the call."))
            return None
        text = _text(raw)
        limit = 300 if name == "title" else TEXT_MAX
        if len(text) > limit:
            errors.setdefault(name, []).append(_("At most %(n)s characters can be saved here.") % {"n": limit})
            return None
        return text
    if name in ("requested_amount", "cofinancing_amount"):
        return _parse_decimal(raw, name, errors)
    if name == "duration_months":
        text = str(raw if raw is not None else "").strip()
        if text == "":
            return ""
        if not text.isdigit() or not 0 < int(text) <= 240:
            errors.setdefault(name, []).append(_("Enter a whole number of months."))
            return None
        return str(int(text))
    if name == "budget":
        return _parse_budget(raw, headings, errors)
    errors.setdefault(name, []).append(_("Unknown field."))
    return None


# --- budget arithmetic and submission checks ------------------------------------------------

@dataclass
class BudgetSummary:
    direct: Decimal = Decimal("0.00")
    indirect: Decimal = Decimal("0.00")
    contingency: Decimal = Decimal("0.00")
    by_heading: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.direct + self.indirect + self.contingency

    @property
    def indirect_pct(self) -> Decimal | None:
        return (self.indirect * 100 / self.direct).quantize(CENT) if self.direct else None


def budget_summary(rows: list[dict], headings: dict) -> BudgetSummary:
    summary = BudgetSummary()
    for row in rows:
        heading = headings.get(row["heading"])
        total = money(Decimal(row["units"] or 0) * Decimal(row["unit_cost"] or 0))
        kind = heading.kind if heading else HeadingKind.DIRECT
        if kind == HeadingKind.INDIRECT:
            summary.indirect += total
        elif kind == HeadingKind.CONTINGENCY:
            summary.contingency += total
        else:
            summary.direct += total
        summary.by_heading[row["heading"]] = summary.by_heading.get(row["heading"], Decimal("0.00")) + total
    return summary


def organisation_eligibility_problems(call: Call, organisation: Organisation) -> list[str]:
    problems = []
    if call.eligible_countries and organisation.country not in call.eligible_countries:
        problems.append(_("Organisations from %(country)s are not eligible for this call.")
                        % {"country": organisation.get_country_display()})
    if call.eligible_org_types and organisation.org_type not in call.eligible_org_types:
        problems.append(_("Organisations of the type “%(type)s” are not eligible for this call.")
                        % {"type": organisation.get_org_type_display()})
    return problems


def application_submission_problems(app: Application, *, call=None, questions=None, headings=None, lines=None,
                                    documents=None, attachments=None) -> list[str]:
    """Everything that stops this draft from being submitted, in words the applicant can act on."""
    call = call or app.call
    questions = list(call.questions.all()) if questions is None else questions
    headings = {h.pk: h for h in call.budget_headings.all()} if headings is None else headings
    lines = list(app.budget_lines.all()) if lines is None else lines
    documents = list(call.required_documents.all()) if documents is None else documents
    attachments = list(app.attachments.all()) if attachments is None else attachments
    problems = organisation_eligibility_problems(call, app.organisation)
    if not app.title.strip():
        problems.append(_("Give the project a title."))
    if not app.summary.strip():
        problems.append(_("Write a summary of the project."))
    currency = call.envelope.currency
    if app.requested_amount is None:
        problems.append(_("Enter the amount requested."))
    elif not call.min_grant <= app.requested_amount <= call.max_grant:
        problems.append(_("The amount requested must be between %(min)s and %(max)s %(currency)s.")
                        % {"min": call.min_grant, "max": call.max_grant, "currency": currency})
    if app.duration_months is None:
        problems.append(_("Enter the duration of the project in months."))
    elif app.duration_months > call.max_duration_months:
        problems.append(_("The project may last at most %(n)s months.") % {"n": call.max_duration_months})
    answers = app.answers or {}
    for q in questions:
        text = _text(answers.get(str(q.pk), ""))
        if q.required and not text.strip():
            problems.append(_("Answer the question “%(q)s”.") % {"q": q})
        elif len(text) > q.max_chars:
            problems.append(_("The answer to “%(q)s” has %(n)s characters; the limit is %(max)s.")
                            % {"q": q, "n": len(text), "max": q.max_chars})
    rows = budget_rows(lines)
    if not rows:
        problems.append(_("Fill in the budget table."))
    else:
        summary = budget_summary(rows, headings)
        if not summary.direct:
            problems.append(_("The budget has no direct costs."))
        elif summary.indirect > money(summary.direct * call.indirect_max_pct / 100):
            problems.append(_("Indirect costs (%(indirect)s) are above %(pct)s%% of direct costs (at most %(max)s).")
                            % {"indirect": summary.indirect, "pct": call.indirect_max_pct,
                               "max": money(summary.direct * call.indirect_max_pct / 100)})
        if app.requested_amount is not None:
            expected = money(app.requested_amount + (app.cofinancing_amount or 0))
            if summary.total != expected:
                problems.append(_("The budget total (%(total)s) must equal the amount requested plus co-financing (%(expected)s).")
                                % {"total": summary.total, "expected": expected})
            if summary.total and call.cofinancing_min_pct:
                minimum = money(summary.total * call.cofinancing_min_pct / 100)
                if (app.cofinancing_amount or 0) < minimum:
                    problems.append(_("Co-financing must be at least %(pct)s%% of the total budget (%(min)s %(currency)s).")
                                    % {"pct": call.cofinancing_min_pct, "min": minimum, "currency": currency})
    attached = {a.document_id for a in attachments}
    for doc in documents:
        if doc.required and doc.pk not in attached:
            problems.append(_("Attach the document “%(doc)s”.") % {"doc": doc})
    return problems


def application_deadline(app: Application, call: Call | None = None, *, call_deadline: datetime | None = None) -> datetime:
    """The applicant's deadline: the call's, or the applicant's own extension when later."""
    call_deadline = call_deadline or (call or app.call).deadline
    if app.deadline_extended_to and app.deadline_extended_to > call_deadline:
        return app.deadline_extended_to
    return call_deadline


# --- drafts ---------------------------------------------------------------------------------

def _members(organisation_id):
    return [m.user for m in Membership.objects.filter(organisation_id=organisation_id).select_related("user")]


def application_start(*, actor, call_id: int, organisation_id: int) -> tuple[Application, bool]:
    """Start (or find) the organisation's application for an open call. Returns (application, created)."""
    with transaction.atomic():
        # The organisation's row serialises two members starting at the same moment.
        organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
        if organisation is None or not Membership.objects.filter(organisation=organisation, user=actor).exists():
            raise PermissionDenied(_("Only members of the organisation can apply on its behalf."))
        call = Call.objects.filter(pk=call_id).first()
        if call is None or not call.is_accepting:
            raise TransitionRefused(_("This call is not open for applications."))
        problems = organisation_eligibility_problems(call, organisation)
        if problems:
            raise ValidationError(problems)
        existing = (Application.objects.filter(call=call, organisation=organisation)
                    .exclude(state=ApplicationState.WITHDRAWN).order_by("created_at").first())
        if existing is not None:
            return existing, False
        app = Application.objects.create(call=call, organisation=organisation, created_by=actor)
        audit_record(actor=actor, action="application_start", obj=app,
                     data={"call": call.code, "organisation": organisation.registration_id})
    return app, True


@dataclass
class SaveResult:
    application: Application
    version: int
    applied: list
    conflicts: dict  # field -> the value now stored (another member's)
    errors: dict  # field -> [messages]
    hashes: dict  # field -> hash of the value now stored
    values: dict  # field -> value now stored
    saved_at: datetime


def _autosave_plan(actor, app, fields: dict, base: dict, version, call_deadline=None):
    """What a save would change, field by field, against the stored draft `app`."""
    if not actor.has_perm(EDIT, app):
        raise PermissionDenied(_("Only members of the applicant organisation can edit this application."))
    if app.state != ApplicationState.DRAFT:
        raise TransitionRefused(_("This application is no longer a draft and cannot be changed."))
    if timezone.now() >= application_deadline(app, call_deadline=call_deadline):
        raise TransitionRefused(_("The deadline has passed; the application can no longer be changed. "
                                  "Your text is still in this page."))
    # Only what this save needs: the call's question ids when a question is answered for the
    # first time, its headings when the budget is saved, the budget table when it is saved or
    # when the caller compares its copy of it.
    answered = {question_field(key) for key in (app.answers or {})}
    new_questions = {n for n in fields if n.startswith("q") and n not in answered}
    question_ids = answered | ({question_field(pk) for pk in Question.objects.filter(call_id=app.call_id)
                                .values_list("pk", flat=True)} if new_questions else set())
    headings = ({h.pk: h for h in BudgetHeading.objects.filter(call_id=app.call_id)} if "budget" in fields else {})
    with_budget = "budget" in fields or "budget" in base
    lines = list(BudgetLine.objects.filter(application=app).order_by("position")) if with_budget else []
    current = application_values(app, [], lines)
    if not with_budget:
        del current["budget"]
    current.update({question_field(key): value for key, value in (app.answers or {}).items()})
    current.update({name: "" for name in new_questions if name in question_ids})
    errors, conflicts, applied, changes = {}, {}, [], {}
    for name, raw in fields.items():
        if name not in current and name not in SCALAR_FIELDS:
            errors.setdefault(name, []).append(_("Unknown field."))
            continue
        new = _parse_field(name, raw, headings=headings, question_ids=question_ids, errors=errors)
        if new is None:
            continue
        stored = current.get(name)
        if new == stored:
            applied.append(name)
            continue
        based_on_current = (base[name] == value_hash(stored)) if name in base else (version == app.version)
        if not based_on_current:
            conflicts[name] = stored
            continue
        changes[name] = new
        applied.append(name)
    return current, errors, conflicts, applied, changes


def _row_values(app, changes: dict) -> dict:
    """The application's columns a save writes (the budget table is written apart)."""
    values, answers = {}, None
    for name, value in changes.items():
        if name in ("title", "summary"):
            values[name] = value
        elif name in ("requested_amount", "cofinancing_amount"):
            values[name] = Decimal(value) if value else (Decimal("0") if name == "cofinancing_amount" else None)
        elif name == "duration_months":
            values[name] = int(value) if value else None
        elif name != "budget":
            answers = answers if answers is not None else dict(app.answers or {})
            answers[name[1:]] = value
    if answers is not None:
        values["answers"] = answers
    return values


AUTOSAVE_ATTEMPTS = 8


# What a text save reads: the draft's editable fields, its state and version, and what decides
# who may write and until when. It is the most frequent request of the site (every open form,
# every few seconds), so this read and the write are one SQL statement each (config.hotpath).
AUTOSAVE_FIELDS = ("call", "organisation", "version", "state", "updated_at", "deadline_extended_to", *SCALAR_FIELDS,
                   "answers")


def application_autosave(*, actor, application_id: int, version: int | None, fields: dict,
                         base: dict | None = None) -> SaveResult:
    """Save the fields of a draft the member changed.

    A field is written when the value it was edited from is still the stored one (its hash is in
    `base`), or, without a hash, when the whole draft is still at `version`. Otherwise it is a
    conflict: nothing of the other member's text is overwritten and the caller gets it back.

    Text is written with one compare-and-set UPDATE on the draft's version (no transaction, no
    row lock held while the request is parsed); when another save got in between, the save is
    judged again against what that one stored. A budget table is written under the row lock.
    """
    base = base or {}
    fields = fields or {}
    for _attempt in range(AUTOSAVE_ATTEMPTS):
        if "budget" in fields:
            with transaction.atomic():
                app = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application_id)
                current, errors, conflicts, applied, changes = _autosave_plan(actor, app, fields, base, version)
                if changes:
                    if "budget" in changes:
                        BudgetLine.objects.filter(application=app).delete()
                        BudgetLine.objects.bulk_create([
                            BudgetLine(application=app, heading_id=row["heading"], position=i,
                                       description=row["description"], units=Decimal(row["units"]),
                                       unit_cost=Decimal(row["unit_cost"]),
                                       total=money(Decimal(row["units"]) * Decimal(row["unit_cost"])))
                            for i, row in enumerate(changes["budget"], start=1)])
                    for name, value in _row_values(app, changes).items():
                        setattr(app, name, value)
                    app.version += 1
                    app.save(update_fields=["version", "updated_at", *_row_values(app, changes)])
                    current.update(changes)
            break
        app, joined = hotpath.instance_get_joined(Application, application_id, fields=AUTOSAVE_FIELDS,
                                                  joined={"call": ["deadline"]})
        if app is None:
            raise Application.DoesNotExist
        current, errors, conflicts, applied, changes = _autosave_plan(actor, app, fields, base, version,
                                                                      joined["call__deadline"])
        if not changes:
            break
        values = _row_values(app, changes)
        now = timezone.now()
        written = hotpath.row_update(Application, app.pk, where={"version": app.version, "state": ApplicationState.DRAFT},
                                     values={"version": app.version + 1, "updated_at": now, **values})
        if written:
            for name, value in values.items():
                setattr(app, name, value)
            app.version, app.updated_at = app.version + 1, now
            current.update(changes)
            break
    else:
        raise TransitionRefused(_("The draft is being changed by others right now; your text is kept in this page. "
                                  "Try again in a moment."))
    return SaveResult(application=app, version=app.version, applied=applied, conflicts=conflicts, errors=errors,
                      hashes=application_hashes(current), values=current, saved_at=app.updated_at)


# --- attachments ----------------------------------------------------------------------------

ATTACHABLE_STATES = [ApplicationState.DRAFT, ApplicationState.CLARIFICATION_REQUESTED]


def attachment_upload(*, actor, application_id: int, uploaded, document_id: int | None = None) -> Attachment:
    """Accept a file only by its content, within the call's size limits; the draft is untouched
    whatever happens. `uploaded` is a file object with `.name` and `.size` (a Django UploadedFile)."""
    app = Application.objects.select_related("call").get(pk=application_id)
    if not actor.has_perm(EDIT, app):
        raise PermissionDenied(_("Only members of the applicant organisation can add documents."))
    if app.state not in ATTACHABLE_STATES:
        raise TransitionRefused(_("Documents can be added only to a draft or while a clarification is requested."))
    call = app.call
    size = getattr(uploaded, "size", None)
    if size is None:
        raise ValidationError({"file": _("The file could not be read.")})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > call.max_file_mb * 1024 * 1024:
        raise ValidationError({"file": _("The file is %(size)s MB; each file may be at most %(max)s MB.")
                               % {"size": round(size / 1024 / 1024, 1), "max": call.max_file_mb}})
    if document_id not in (None, ""):
        if not RequiredDocument.objects.filter(pk=document_id, call_id=call.pk).exists():
            raise ValidationError({"document": _("Choose one of the call's documents.")})
    else:
        document_id = None
    try:
        kind = uploads.sniff(uploaded, size)
        name = uploads.clean_name(getattr(uploaded, "name", ""), kind)
    except uploads.UploadRefused as exc:
        raise ValidationError({"file": exc.message})
    stored_name, sha256, stored_size = uploads.store(uploaded)
    try:
        with transaction.atomic():
            app = Application.objects.select_for_update().get(pk=application_id)
            if app.state not in ATTACHABLE_STATES:
                raise TransitionRefused(_("Documents can be added only to a draft or while a clarification is requested."))
            used = Attachment.objects.filter(application=app).aggregate(s=Sum("size"))["s"] or 0
            if used + stored_size > call.max_total_mb * 1024 * 1024:
                raise ValidationError({"file": _("All documents of one application may take at most %(max)s MB; "
                                                 "%(used)s MB are used already.")
                                       % {"max": call.max_total_mb, "used": round(used / 1024 / 1024, 1)}})
            attachment = Attachment.objects.create(
                application=app, document_id=document_id, original_name=name, stored_name=stored_name,
                content_type=kind.content_type, size=stored_size, sha256=sha256, uploaded_by=actor)
            audit_record(actor=actor, action="attachment_upload", obj=app,
                         data={"attachment": attachment.pk, "name": name, "sha256": sha256, "size": stored_size,
                               "type": kind.code, "document": document_id})
    except BaseException:
        uploads.discard(stored_name)
        raise
    return attachment


def attachment_delete(*, actor, application_id: int, attachment_id: int) -> None:
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if not actor.has_perm(EDIT, app):
            raise PermissionDenied(_("Only members of the applicant organisation can remove documents."))
        attachment = Attachment.objects.filter(pk=attachment_id, application=app).first()
        if attachment is None:
            raise Attachment.DoesNotExist
        submitted = app.submitted_at is not None and attachment.uploaded_at <= app.submitted_at
        if app.state not in ATTACHABLE_STATES or submitted:
            raise TransitionRefused(_("A document that was submitted cannot be removed."))
        stored_name = attachment.stored_name
        attachment.delete()
        audit_record(actor=actor, action="attachment_delete", obj=app,
                     data={"attachment": attachment_id, "name": attachment.original_name})
        transaction.on_commit(lambda: uploads.discard(stored_name))


# --- submission -----------------------------------------------------------------------------

def reference_prefix(call: Call) -> str:
    code = re.sub(r"[^A-Z0-9]+", "-", call.code.upper()).strip("-")[:24] or "CALL"
    if not re.search(r"(19|20)\d\d$", code):
        code = f"{code}-{timezone.localtime(call.deadline).year}"
    return code


def _reference_next(call: Call) -> str:
    """Under the call's row lock: the next number of this call's sequence, unique everywhere."""
    prefix = reference_prefix(call)
    number = Application.objects.filter(call=call, reference__startswith=prefix + "-").count() + 1
    while Application.objects.filter(reference=f"{prefix}-{number:04d}").exists():
        number += 1
    return f"{prefix}-{number:04d}"


def application_content(app: Application, *, call, organisation, questions, headings, lines, attachments) -> dict:
    """The content as submitted: what the receipt's SHA-256 is computed over."""
    rows = budget_rows(lines)
    summary = budget_summary(rows, headings)
    return {
        "reference": app.reference,
        "submitted_at": app.submitted_at.astimezone(dt_timezone.utc).isoformat(),
        "call": {"id": call.pk, "code": call.code, "title": call.title, "deadline": call.deadline.isoformat(),
                 "currency": str(call.envelope.currency)},
        "organisation": {"id": organisation.pk, "legal_name": organisation.legal_name,
                         "registration_id": organisation.registration_id, "country": organisation.country,
                         "org_type": organisation.org_type},
        "title": app.title,
        "summary": _text(app.summary),
        "requested_amount": _decimal_str(app.requested_amount),
        "cofinancing_amount": _decimal_str(app.cofinancing_amount),
        "duration_months": app.duration_months,
        "answers": [{"question_id": q.pk, "question": q.text, "max_chars": q.max_chars,
                     "answer": _text((app.answers or {}).get(str(q.pk), ""))} for q in questions],
        "budget": [{**row, "heading_name": headings[row["heading"]].name, "kind": headings[row["heading"]].kind,
                    "total": str(money(Decimal(row["units"]) * Decimal(row["unit_cost"])))}
                   for row in rows if row["heading"] in headings],
        "budget_totals": {"direct": str(summary.direct), "indirect": str(summary.indirect),
                          "contingency": str(summary.contingency), "total": str(summary.total)},
        "attachments": [{"id": a.pk, "name": a.original_name, "type": a.content_type, "size": a.size,
                         "sha256": a.sha256, "document_id": a.document_id} for a in attachments],
    }


def content_sha256(content: dict) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _message_context(app, call, extra: dict) -> dict:
    """A notification's context: plain values, the call's title in every language (the relay
    picks the recipient's), times as ISO strings (shown in the recipient's language)."""
    return {"call": call.title, "call_uk": call.title_uk, "call_hy": call.title_hy, "title": app.title,
            "reference": app.reference or "", "application": app.reference or app.title or f"#{app.pk}",
            "path": f"/applications/{app.pk}/", **extra}


def _recipients_context(app, call, extra: dict) -> list[tuple]:
    context = _message_context(app, call, extra)
    return [(user, context) for user in _members(app.organisation_id)]


def application_submit(*, actor, application_id: int) -> Application:
    """Freeze a complete draft, give it a reference and a receipt. Refused after the deadline by
    the database clock, read as the first statement of the transaction (before any lock wait)."""
    audit_data = {}
    with transaction.atomic():
        db_now = (Application.objects.filter(pk=application_id).annotate(db_now=Now())
                  .values_list("db_now", flat=True).first())
        if db_now is None:
            raise Application.DoesNotExist

        def prepare(app):
            # Everything is read and checked before the call's row is locked: that lock (which
            # orders the reference sequence) is held until commit, so it is taken last.
            call = Call.objects.get(pk=app.call_id)
            if call.state not in (CallState.OPEN, CallState.CLOSED) or db_now < call.opens_at:
                raise TransitionRefused(_("This call is not open for applications."))
            deadline = application_deadline(app, call)
            if db_now >= deadline:
                raise TransitionRefused(_("The deadline (%(deadline)s) has passed; the application was not submitted.")
                                        % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M:%S %Z")})
            organisation = Organisation.objects.get(pk=app.organisation_id)
            app.organisation = organisation
            questions = list(Question.objects.filter(call=call).order_by("position"))
            headings = {h.pk: h for h in BudgetHeading.objects.filter(call=call)}
            lines = list(BudgetLine.objects.filter(application=app).order_by("position"))
            documents = list(RequiredDocument.objects.filter(call=call))
            attachments = list(Attachment.objects.filter(application=app).order_by("uploaded_at", "pk"))
            problems = application_submission_problems(app, call=call, questions=questions, headings=headings,
                                                       lines=lines, documents=documents, attachments=attachments)
            if problems:
                raise ValidationError(problems)
            locked = Call.objects.select_for_update().only("pk", "state", "deadline").get(pk=call.pk)
            if locked.state != call.state or locked.deadline != call.deadline:
                raise TransitionRefused(_("The call changed while the application was being submitted; try again."))
            app.reference = _reference_next(call)
            app.submitted_at = db_now
            content = application_content(app, call=call, organisation=organisation, questions=questions,
                                          headings=headings, lines=lines, attachments=attachments)
            app.submitted_content = content
            app.receipt_sha256 = content_sha256(content)
            audit_data.update(reference=app.reference, sha256=app.receipt_sha256, submitted_at=db_now.isoformat(),
                              deadline=deadline.isoformat())
            app._call = call

        def effects(app, event):
            for user, context in _recipients_context(app, app._call, {
                    "submitted_at": app.submitted_at.isoformat(), "sha256": app.receipt_sha256,
                    "submitted_by": str(actor)}):
                notify_user(kind="application_submitted", user=user, obj=app, key=str(event.seq), context=context)

        return transition_run(model=Application, pk=application_id, transition="submit", actor=actor, permission=EDIT,
                              prepare=prepare, effects=effects, data=audit_data)


def application_withdraw(*, actor, application_id: int, reason: str = "") -> Application:
    def effects(app, event):
        for user, context in _recipients_context(app, app.call, {"withdrawn_by": str(actor), "reason": reason or ""}):
            notify_user(kind="application_withdrawn", user=user, obj=app, key=str(event.seq), context=context)

    return transition_run(model=Application, pk=application_id, transition="withdraw", actor=actor, permission=EDIT,
                          reason=(reason or "").strip(), effects=effects)


# --- screening ------------------------------------------------------------------------------

def _precheck(actor, application_id: int, permission: str, transition: str) -> None:
    """Role first (403), then state (409), before the input is judged (400); the transition
    checks both again under the row lock."""
    from django_fsm import can_proceed

    app = Application.objects.select_related("call").get(pk=application_id)
    if not actor.has_perm(permission, app):
        raise PermissionDenied(_("You may not do this."))
    if not can_proceed(getattr(app, transition)):
        raise TransitionRefused()


def _checklist_clean(checklist) -> dict:
    checklist = checklist or {}
    return {key: bool(checklist.get(key)) for key, _label in CHECKLIST}


def application_mark_eligible(*, actor, application_id: int, checklist: dict, comment: str = "") -> Application:
    _precheck(actor, application_id, SCREEN, "mark_eligible")
    ticked = _checklist_clean(checklist)
    missing = [label for key, label in checklist_items() if not ticked[key]]
    if missing:
        raise ValidationError({"checklist": [_("Not yet checked: %(item)s") % {"item": label} for label in missing]})

    def effects(app, event):
        for user, context in _recipients_context(app, app.call, {}):
            notify_user(kind="application_eligible", user=user, obj=app, key=str(event.seq), context=context)

    return transition_run(model=Application, pk=application_id, transition="mark_eligible", actor=actor,
                          permission=SCREEN, reason=(comment or "").strip(), data={"checklist": ticked}, effects=effects)


def application_mark_ineligible(*, actor, application_id: int, reason: str, checklist: dict | None = None) -> Application:
    _precheck(actor, application_id, SCREEN, "mark_ineligible")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the application is ineligible; the applicant will read it.")})

    def prepare(app):
        app.ineligibility_reason = reason

    def effects(app, event):
        for user, context in _recipients_context(app, app.call, {"reason": reason}):
            notify_user(kind="application_ineligible", user=user, obj=app, key=str(event.seq), context=context)

    return transition_run(model=Application, pk=application_id, transition="mark_ineligible", actor=actor,
                          permission=SCREEN, reason=reason, data={"checklist": _checklist_clean(checklist)},
                          prepare=prepare, effects=effects)


def application_request_clarification(*, actor, application_id: int, question: str, due,
                                      checklist: dict | None = None) -> Application:
    _precheck(actor, application_id, SCREEN, "request_clarification")
    question = (question or "").strip()
    errors = {}
    if not question:
        errors["question"] = _("Write the question the applicant should answer.")
    if due is None or due <= timezone.now():
        errors["due"] = _("Give a due date in the future.")
    if errors:
        raise ValidationError(errors)

    def prepare(app):
        app.clarification_question = question
        app.clarification_due = due
        app.clarification_answer = ""

    def effects(app, event):
        for user, context in _recipients_context(app, app.call, {"question": question, "due": due.isoformat()}):
            notify_user(kind="application_clarification_requested", user=user, obj=app, key=str(event.seq),
                        context=context)

    return transition_run(model=Application, pk=application_id, transition="request_clarification", actor=actor,
                          permission=SCREEN, reason=question,
                          data={"due": due.isoformat(), "checklist": _checklist_clean(checklist)},
                          prepare=prepare, effects=effects)


def application_answer_clarification(*, actor, application_id: int, answer: str) -> Application:
    _precheck(actor, application_id, EDIT, "answer_clarification")
    answer = _text(answer).strip()
    if not answer:
        raise ValidationError({"answer": _("Write your answer.")})
    if len(answer) > TEXT_MAX:
        raise ValidationError({"answer": _("At most %(n)s characters can be saved here.") % {"n": TEXT_MAX}})
    data = {}

    def prepare(app):
        app.clarification_answer = answer
        data["late"] = bool(app.clarification_due and timezone.now() > app.clarification_due)

    def effects(app, event):
        from accounts.models import ProgrammeRole

        managers = ProgrammeRole.objects.filter(programme_id=app.call.programme_id, role=MANAGER).select_related("user")
        context = _message_context(app, app.call, {"organisation": app.organisation.legal_name})
        for role in managers:
            notify_user(kind="application_clarification_answered", user=role.user, obj=app, key=str(event.seq),
                        context=context)

    return transition_run(model=Application, pk=application_id, transition="answer_clarification", actor=actor,
                          permission=EDIT, data=data, prepare=prepare, effects=effects)


def application_deadline_extend(*, actor, application_id: int, until, reason: str) -> Application:
    """Give one applicant more time (e.g. a documented outage on their side). Audited."""
    reason = (reason or "").strip()
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application_id)
        if not actor.has_perm(SCREEN, app):
            raise PermissionDenied(_("Only the programme's managers can extend a deadline."))
        if app.state != ApplicationState.DRAFT:
            raise TransitionRefused(_("Only a draft's deadline can be extended."))
        errors = {}
        if not reason:
            errors["reason"] = _("Say why this applicant gets more time.")
        if until is None or until <= app.call.deadline:
            errors["until"] = _("The new deadline must be later than the call's deadline.")
        elif until <= timezone.now():
            errors["until"] = _("The new deadline must be in the future.")
        if errors:
            raise ValidationError(errors)
        previous = app.deadline_extended_to
        app.deadline_extended_to = until
        app.save(update_fields=["deadline_extended_to", "updated_at"])
        event = audit_record(actor=actor, action="deadline_extend", obj=app, reason=reason,
                             data={"from": (previous or app.call.deadline).isoformat(), "to": until.isoformat()})
        for user, context in _recipients_context(app, app.call, {"until": until.isoformat(), "reason": reason}):
            notify_user(kind="application_deadline_extended", user=user, obj=app, key=str(event.seq), context=context)
    return app


# --- what a user may do now -----------------------------------------------------------------

# transition -> permission; transitions of other stages register `applications.<name>_application`.
TRANSITION_PERMISSIONS = {
    "submit": EDIT, "withdraw": EDIT, "answer_clarification": EDIT,
    "mark_eligible": SCREEN, "mark_ineligible": SCREEN, "request_clarification": SCREEN,
}


def application_available_transitions(user, app: Application) -> list[str]:
    import rules

    names = []
    for t in app.get_available_state_transitions():
        perm = TRANSITION_PERMISSIONS.get(t.name) or f"applications.{t.name}_application"
        if (t.name in TRANSITION_PERMISSIONS or rules.perm_exists(perm)) and user.has_perm(perm, app):
            names.append(t.name)
    if app.state == ApplicationState.DRAFT and user.has_perm(SCREEN, app):
        names.append("extend_deadline")
    return names

