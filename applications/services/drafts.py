"""Drafts: starting an application, reading its fields in canonical form, and saving them.

Drafts are saved field by field with optimistic concurrency: every save names the version it
was based on and, per field, a hash of the value it started from. A field another member
changed in the meantime is never overwritten silently: the save reports a conflict for that
field and keeps the other member's text; fields nobody else touched are saved."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation
from applications.models import Application, ApplicationState, BudgetLine
from applications.services.budget import (  # noqa: F401  (budget_rows, budget_summary: read from here too)
    BUDGET_MAX_ROWS,
    BudgetSummary,
    _decimal_str,
    _line,
    _parse_amount,
    _parse_budget,
    budget_rows,
    budget_summary,
)
from audit.services import audit_record
from core.errors import TransitionRefused
from core.money import cents
from core.text import multi_line
from grants.calls.form.answers import answer_parse, empty_value
from grants.calls.form.eligibility import eligibility_answers, eligibility_reasons
from grants.calls.form.layout import form_load, question_kinds
from grants.calls.form.models import FormPurpose, QuestionKind
from grants.calls.models import BudgetHeading, Call

TEXT_MAX = 100_000  # a draft keeps over-long text (the limit is checked on submission), up to this


SCALAR_FIELDS = ["title", "summary", "requested_amount", "cofinancing_amount", "duration_months"]


EDIT = "applications.edit_application"


SCREEN = "applications.screen_application"


def question_field(question_id) -> str:
    return f"q{question_id}"


def _text(value) -> str:
    """Text of a multi-line field: newlines as \\n, no control or bidi characters (core.text)."""
    return multi_line(str(value or "").replace("\r\n", "\n"))


def application_values(app: Application, questions, lines) -> dict:
    """Every editable field of the draft in its canonical form (what hashes are made of)."""
    values = {
        "title": app.title,
        "summary": app.summary,
        "requested_amount": _decimal_str(app.requested_amount),
        "cofinancing_amount": _decimal_str(app.cofinancing_amount),
        "duration_months": "" if app.duration_months is None else str(app.duration_months),
        "budget": budget_rows(lines),
    }
    answers = app.answers or {}
    for q in questions:
        if q.kind != QuestionKind.FILE:
            values[question_field(q.pk)] = answers.get(str(q.pk), empty_value(q))
    return values


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def value_hash(value) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()[:20]


def application_hashes(values: dict) -> dict:
    return {name: value_hash(value) for name, value in values.items()}


def _parse_field(name, raw, *, headings, questions, errors):
    """The canonical value of one submitted field, or None when it cannot be saved."""
    if name.startswith("q") and name[1:].isdigit():
        question = questions.get(name)
        if question is None:
            errors.setdefault(name, []).append(_("This question is not part of the call."))
            return None
        try:
            return answer_parse(question, raw)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
            return None
    if name in ("title", "summary"):
        text = _line(raw) if name == "title" else _text(raw)
        limit = 300 if name == "title" else TEXT_MAX
        if len(text) > limit:
            errors.setdefault(name, []).append(_("At most %(n)s characters can be saved here.") % {"n": limit})
            return None
        return text
    if name in ("requested_amount", "cofinancing_amount"):
        return _parse_amount(raw, name, errors, allow_zero=name == "cofinancing_amount")
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


def application_deadline(
    app: Application, call: Call | None = None, *, call_deadline: datetime | None = None
) -> datetime:
    """The applicant's deadline: the call's, or the applicant's own extension when later."""
    call_deadline = call_deadline or (call or app.call).deadline
    if app.deadline_extended_to and app.deadline_extended_to > call_deadline:
        return app.deadline_extended_to
    return call_deadline


def application_start(
    *, actor, call_id: int, organisation_id: int, eligibility: dict | None = None
) -> tuple[Application, bool]:
    """Start (or find) the organisation's application for an open call. Returns (application, created).

    A call with an eligibility check takes its answers (`eligibility`: field name -> value, as
    the check's page posts them); answers that do not qualify are refused with every reason, and
    those that do are kept with the new draft."""
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
        existing = (
            Application.objects.filter(call=call, organisation=organisation)
            .exclude(state=ApplicationState.WITHDRAWN)
            .order_by("created_at")
            .first()
        )
        if existing is not None:
            return existing, False
        check = form_load(call.pk, FormPurpose.ELIGIBILITY)
        checked = None
        if check.answerable:
            if eligibility is None:
                raise ValidationError(_("Answer the call's eligibility check first."))
            answers, errors = eligibility_answers(check, eligibility)
            if errors:
                raise ValidationError(errors)
            reasons = eligibility_reasons(check, answers)
            if reasons:
                raise ValidationError(reasons)
            checked = {"answers": answers, "eligible": True, "checked_at": timezone.now().isoformat()}
        app = Application.objects.create(call=call, organisation=organisation, created_by=actor, eligibility=checked)
        audit_record(
            actor=actor,
            action="application_start",
            obj=app,
            data={
                "call": call.code,
                "organisation": organisation.registration_id,
                **({"eligibility": checked["answers"]} if checked else {}),
            },
        )
    return app, True


class QuestionKinds(NamedTuple):
    """What judging an answer needs of its question (read as plain values: the hottest path)."""

    pk: int
    kind: str
    options: dict
    max_chars: int


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
        raise TransitionRefused(
            _("The deadline has passed; the application can no longer be changed. Your text is still in this page.")
        )
    # Only what this save needs: the questions answered in it (their kinds judge the values), the
    # call's headings when the budget is saved, the budget table when it is saved or when the
    # caller compares its copy of it.
    asked = [int(n[1:]) for n in fields if n.startswith("q") and n[1:].isdigit()]
    kinds = question_kinds(app.call_id, app.call.form_token, asked) if asked else {}
    questions = {question_field(pk): QuestionKinds(pk, *kinds[pk]) for pk in asked if pk in kinds}
    headings = {h.pk: h for h in BudgetHeading.objects.filter(call_id=app.call_id)} if "budget" in fields else {}
    with_budget = "budget" in fields or "budget" in base
    lines = list(BudgetLine.objects.filter(application=app).order_by("position")) if with_budget else []
    current = application_values(app, [], lines)
    if not with_budget:
        del current["budget"]
    current.update({question_field(key): value for key, value in (app.answers or {}).items()})
    current.update({name: empty_value(q) for name, q in questions.items() if name not in current})
    errors: dict[str, list] = {}
    conflicts: dict[str, object] = {}
    applied: list[str] = []
    changes: dict[str, object] = {}
    for name, raw in fields.items():
        if name not in current and name not in SCALAR_FIELDS:
            errors.setdefault(name, []).append(
                _("This question is not part of the call.") if name.startswith("q") else _("Unknown field.")
            )
            continue
        new = _parse_field(name, raw, headings=headings, questions=questions, errors=errors)
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
# What a text save reads: the draft's editable fields, its state and version, and what decides who
# may write and until when. It is the most frequent request of the site (every open form, every
# few seconds), so it reads only these (and the call's deadline), not the whole draft and call.
AUTOSAVE_FIELDS = (
    "call",
    "organisation",
    "version",
    "state",
    "updated_at",
    "deadline_extended_to",
    *SCALAR_FIELDS,
    "answers",
)


def application_autosave(
    *, actor, application_id: int, version: int | None, fields: dict, base: dict | None = None
) -> SaveResult:
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
                        BudgetLine.objects.bulk_create(
                            [
                                BudgetLine(
                                    application=app,
                                    heading_id=row["heading"],
                                    position=i,
                                    description=row["description"],
                                    units=Decimal(row["units"]),
                                    unit_cost=Decimal(row["unit_cost"]),
                                    total=cents(Decimal(row["units"]) * Decimal(row["unit_cost"])),
                                )
                                for i, row in enumerate(changes["budget"], start=1)
                            ]
                        )
                    for name, value in _row_values(app, changes).items():
                        setattr(app, name, value)
                    app.version += 1
                    app.save(update_fields=["version", "updated_at", *_row_values(app, changes)])
                    current.update(changes)
            break
        app = (
            Application.objects.select_related("call")
            .only(*AUTOSAVE_FIELDS, "call__deadline", "call__state", "call__form_token")
            .get(pk=application_id)
        )
        current, errors, conflicts, applied, changes = _autosave_plan(
            actor, app, fields, base, version, app.call.deadline
        )
        if not changes:
            break
        values = _row_values(app, changes)
        now = timezone.now()
        written = Application.objects.filter(pk=app.pk, version=app.version, state=ApplicationState.DRAFT).update(
            version=app.version + 1, updated_at=now, **values
        )
        if written:
            for name, value in values.items():
                setattr(app, name, value)
            app.version, app.updated_at = app.version + 1, now
            current.update(changes)
            break
    else:
        raise TransitionRefused(
            _("The draft is being changed by others right now; your text is kept in this page. Try again in a moment.")
        )
    return SaveResult(
        application=app,
        version=app.version,
        applied=applied,
        conflicts=conflicts,
        errors=errors,
        hashes=application_hashes(current),
        values=current,
        saved_at=app.updated_at,
    )


def organisation_eligibility_problems(call: Call, organisation: Organisation) -> list[str]:
    problems = []
    if call.eligible_countries and organisation.country not in call.eligible_countries:
        problems.append(
            _("Organisations from %(country)s are not eligible for this call.")
            % {"country": organisation.get_country_display()}
        )
    if call.eligible_org_types and organisation.org_type not in call.eligible_org_types:
        problems.append(
            _("Organisations of the type “%(type)s” are not eligible for this call.")
            % {"type": organisation.get_org_type_display()}
        )
    if (
        call.concept_call_id
        and not Application.objects.filter(
            call_id=call.concept_call_id, organisation=organisation, state=ApplicationState.SHORTLISTED
        ).exists()
    ):
        problems.append(_("Only organisations invited after their concept note can send a full application."))
    return problems
