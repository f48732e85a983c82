"""Use cases for programmes and calls."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from accounts.models import OrganisationType, ProgrammeRole
from accounts.roles import MANAGER, programme_ids, roles_forget
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.languages import as_columns, columns, main_language
from core.shortcuts import get_permitted_or_403
from grants.calls.alerts import call_alerts_send
from grants.calls.form.defaults import call_form_defaults_create
from grants.calls.form.models import FormPurpose, FormSection, QuestionKind, SectionKind
from grants.calls.models import (
    CURRENCIES,
    BudgetHeading,
    Call,
    CallState,
    Contribution,
    Criterion,
    HeadingKind,
    Programme,
    ProgrammeIndicator,
    Question,
    RequiredDocument,
    TrancheCondition,
    TranchePlanItem,
    new_form_token,
)

SYSTEM = None  # scheduled transitions are recorded with no human actor


def call_publish_problems(call: Call, programme: Programme | None = None, *, opening_stage: bool = False) -> list[str]:
    """Why a call cannot be published, in words a programme manager can act on. `opening_stage`:
    the shortlist opens a full-application stage, whose envelope its concept notes' call holds."""
    problems = []
    if call.concept_call_id and not opening_stage:
        problems.append(
            _("This is the full-application stage: it opens when the shortlist of concept notes is invited.")
        )
    criteria = list(call.criteria.all())
    if not criteria:
        problems.append(_("The rubric has no criteria."))
    elif any(c.weight <= 0 for c in criteria):
        problems.append(_("Every criterion needs a positive weight."))
    elif call.overall_threshold > sum(c.max_score * c.weight for c in criteria):
        problems.append(
            _("The overall threshold (%(threshold)s) is above the highest possible weighted score (%(max)s).")
            % {"threshold": call.overall_threshold, "max": sum(c.max_score * c.weight for c in criteria)}
        )
    if any(c.minimum > c.max_score for c in criteria):
        problems.append(_("A criterion's minimum is above its maximum score."))
    programme = programme or call.programme
    if call.envelope.currency != programme.budget.currency:
        problems.append(
            _("The envelope is in %(call)s but the programme budget is in %(programme)s.")
            % {"call": call.envelope.currency, "programme": programme.budget.currency}
        )
    elif not call.concept_call_id:
        available = programme.budget.amount - programme.envelopes_total
        if call.envelope.amount > available:
            problems.append(
                _(
                    "The envelope (%(envelope)s) exceeds what is left of the programme budget (%(available)s %(currency)s)."
                )
                % {"envelope": call.envelope, "available": available, "currency": programme.budget.currency}
            )
    if call.max_grant > call.envelope.amount:
        problems.append(_("The maximum grant is larger than the envelope."))
    if call.deadline <= timezone.now():
        problems.append(_("The deadline has already passed."))
    plan = [{"share_pct": t.share_pct, "condition": t.condition} for t in call.tranche_plan.all()]
    problems += _template_problems("tranche_plan", plan)
    return problems


COUNTED_STATES = [s for s in CallState.values if s not in (CallState.DRAFT, CallState.CANCELLED)]


def call_publish(*, actor, call_id: int) -> Call:
    with transaction.atomic():
        call = lock(Call, call_id)
        check(actor, call, "publish", permission="grants.manage_call")
        # The programme row is the lock that keeps envelopes within its budget.
        programme = Programme.objects.select_for_update().get(pk=call.programme_id)
        problems = call_publish_problems(call, programme)
        if problems:
            raise ValidationError(problems)
        Programme.objects.filter(pk=programme.pk).update(envelopes_total=F("envelopes_total") + call.envelope.amount)
        transition(call, "publish", actor=actor, data={"envelope": str(call.envelope.amount)})
    return call


def call_cancel(*, actor, call_id: int, reason: str) -> Call:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the call is cancelled.")})
    with transaction.atomic():
        call = lock(Call, call_id)
        check(actor, call, "cancel", permission="grants.manage_call")
        if call.state in COUNTED_STATES and not call.concept_call_id:  # its envelope goes back to the programme
            Programme.objects.select_for_update().filter(pk=call.programme_id).update(
                envelopes_total=F("envelopes_total") - call.envelope.amount
            )
        transition(call, "cancel", actor=actor, reason=reason)
    return call


def _scheduled(call_id: int, name: str, due: Q) -> bool:
    """Run transition `name` on the call if it is still `due` once its row is locked (a manager
    may have moved the dates meanwhile); False when it no longer is."""
    with transaction.atomic():
        call = lock(Call, call_id)
        if not Call.objects.filter(due, pk=call_id).exists():
            return False
        check(SYSTEM, call, name)
        transition(call, name, actor=SYSTEM, reason="schedule")
        if name == "open":
            call_alerts_send(call)  # everyone following calls like this one
    return True


def calls_open_close(now=None) -> tuple[int, int]:
    """Open published calls whose time has come and close open calls past their deadline, by
    the database's clock (core.clock), so a worker whose own clock is ahead never closes a call
    early. `now` (a moment to pretend it is) is for tests and tools only."""
    at = Now() if now is None else now
    opening = Q(state=CallState.PUBLISHED, opens_at__lte=at, deadline__gt=at)
    closing = Q(state=CallState.OPEN, deadline__lte=at)
    opened = sum(_scheduled(pk, "open", opening) for pk in Call.objects.filter(opening).values_list("pk", flat=True))
    closed = sum(_scheduled(pk, "close", closing) for pk in Call.objects.filter(closing).values_list("pk", flat=True))
    return opened, closed


# --- programmes and calls as a programme manager edits them ---------------------------------

PROGRAMME_FIELDS = [*columns("title"), *columns("description"), "starts_on", "ends_on", "countries"]
CALL_FIELDS = [
    "code",
    *columns("title"),
    *columns("description"),
    "min_grant",
    "max_grant",
    "cofinancing_min_pct",
    "max_duration_months",
    "eligible_countries",
    "eligible_org_types",
    "opens_at",
    "deadline",
    "reviewers_per_application",
    "divergence_threshold",
    "overall_threshold",
    "blind_review",
    "flexibility_pct",
    "indirect_max_pct",
    "review_comment_min_chars",
    "review_days",
    "reviewers_not_from_applicant_country",
    "max_file_mb",
    "max_total_mb",
    "sector",
]


def _programme_check(fields: dict) -> None:
    errors = {}
    if fields.get("starts_on") and fields.get("ends_on") and fields["ends_on"] < fields["starts_on"]:
        errors["ends_on"] = _("The programme must end after it starts.")
    if fields.get("budget_amount") is not None and fields["budget_amount"] < 0:
        errors["budget_amount"] = _("The budget cannot be negative.")
    if fields.get("currency") and fields["currency"] not in CURRENCIES:
        errors["currency"] = _("Choose one of the supported currencies.")
    if not (fields.get(f"title_{main_language()}") or "").strip():
        errors["title"] = _("Enter the programme's title.")
    if errors:
        raise ValidationError(errors)


def programme_create(*, actor, code: str, budget_amount, currency: str, contributions=(), **fields) -> Programme:
    """A new programme; a programme manager who creates it manages it."""

    if not (actor.is_superuser or programme_ids(actor, MANAGER)):
        raise PermissionDenied(_("Only programme managers and administrators can create programmes."))
    fields = as_columns(Programme, fields)
    _programme_check({**fields, "budget_amount": budget_amount, "currency": currency})
    fields = {k: v for k, v in fields.items() if k in PROGRAMME_FIELDS}
    with transaction.atomic():
        if Programme.objects.filter(code=code).exists():
            raise ValidationError({"code": _("A programme with this code exists already.")})
        programme = Programme.objects.create(code=code, budget=Money(budget_amount, currency), **fields)
        for donor, amount in contributions:
            Contribution.objects.create(donor=donor, programme=programme, amount=Money(amount, currency))
        if not actor.is_superuser:
            ProgrammeRole.objects.get_or_create(user=actor, programme=programme, role=MANAGER)
        audit_record(
            actor=actor,
            action="programme_create",
            obj=programme,
            data={
                "code": code,
                "budget": str(budget_amount),
                "currency": currency,
                "contributions": [[d.name, str(a)] for d, a in contributions],
            },
        )
    roles_forget(actor)
    return programme


def programme_update(*, actor, programme_id: int, budget_amount=None, contributions=None, **fields) -> Programme:
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme_id)
        if not actor.has_perm("grants.manage_programme", programme):
            raise PermissionDenied(_("You do not manage this programme."))
        fields = as_columns(Programme, fields)
        _programme_check(
            {**{f: getattr(programme, f) for f in PROGRAMME_FIELDS}, **fields, "budget_amount": budget_amount}
        )
        changed = {}
        for name, value in fields.items():
            if name in PROGRAMME_FIELDS and getattr(programme, name) != value:
                setattr(programme, name, value)
                changed[name] = value
        if budget_amount is not None and budget_amount != programme.budget.amount:
            if budget_amount < programme.envelopes_total:
                raise ValidationError(
                    {
                        "budget_amount": _("The budget cannot be below the envelopes of published calls (%(total)s).")
                        % {"total": programme.envelopes_total}
                    }
                )
            changed["budget"] = budget_amount
            programme.budget = Money(budget_amount, programme.budget.currency)
        programme.save()
        if contributions is not None:
            keep = []
            for donor, amount in contributions:
                Contribution.objects.update_or_create(
                    donor=donor, programme=programme, defaults={"amount": Money(amount, programme.budget.currency)}
                )
                keep.append(donor.pk)
            Contribution.objects.filter(programme=programme).exclude(donor_id__in=keep).delete()
            changed["contributions"] = [[d.name, str(a)] for d, a in contributions]
        if changed:
            audit_record(actor=actor, action="programme_update", obj=programme, data=changed)
    return programme


def _call_check(fields: dict, programme: Programme) -> None:
    """Field rules a call must meet to be saved (publishing checks the budget and rubric)."""

    errors = {}
    if (
        fields.get("min_grant") is not None
        and fields.get("max_grant") is not None
        and fields["max_grant"] < fields["min_grant"]
    ):
        errors["max_grant"] = _("The maximum grant must not be below the minimum grant.")
    if fields.get("opens_at") and fields.get("deadline") and fields["deadline"] <= fields["opens_at"]:
        errors["deadline"] = _("The deadline must be after the opening time.")
    for name in ("opens_at", "deadline"):
        value = fields.get(name)
        if value is not None and timezone.is_naive(value):
            errors[name] = _("Give the time with its time zone.")
    bad = [c for c in fields.get("eligible_countries") or [] if programme.countries and c not in programme.countries]
    if bad:
        errors["eligible_countries"] = _("These countries are not part of the programme: %(codes)s.") % {
            "codes": ", ".join(bad)
        }
    bad = [t for t in fields.get("eligible_org_types") or [] if t not in OrganisationType.values]
    if bad:
        errors["eligible_org_types"] = _("Unknown organisation types: %(types)s.") % {"types": ", ".join(bad)}
    for name in ("cofinancing_min_pct", "indirect_max_pct", "flexibility_pct"):
        value = fields.get(name)
        if value is not None and not Decimal("0") <= value <= Decimal("100"):
            errors[name] = _("Enter a percentage between 0 and 100.")
    max_file_mb = fields.get("max_file_mb")
    if max_file_mb is not None and not 1 <= max_file_mb <= settings.UPLOAD_MAX_MB:
        # The reverse proxy refuses anything larger before it reaches the app (deploy/nginx/hromada.conf).
        errors["max_file_mb"] = _("Enter a size between 1 and %(max)s MB, the largest upload the site accepts.") % {
            "max": settings.UPLOAD_MAX_MB
        }
    if not (fields.get(f"title_{main_language()}") or "").strip():
        errors["title"] = _("Enter the call's title.")
    if not (fields.get("code") or "").strip():
        errors["code"] = _("Enter a short code for the call, e.g. advocacy-2026.")
    if errors:
        raise ValidationError(errors)


def _call_indicators_set(call: Call, indicators) -> list[str] | None:
    """The programme indicators a call's grants contribute to; None when they did not change."""
    wanted = {i.pk for i in indicators}
    if ProgrammeIndicator.objects.filter(pk__in=wanted).exclude(programme_id=call.programme_id).exists():
        raise ValidationError({"indicators": _("Choose indicators of the call's own programme.")})
    if wanted == set(call.indicators.values_list("pk", flat=True)):
        return None
    call.indicators.set(wanted)
    return list(ProgrammeIndicator.objects.filter(pk__in=wanted).order_by("position").values_list("code", flat=True))


def call_create(*, actor, programme_id: int, envelope_amount, indicators=(), two_stage=False, **fields) -> Call:
    """A draft call. A two-stage call is the concept notes' call, returned, and a draft of its
    full-application stage (code `<code>-full`) with the same terms, whose form, rubric and documents
    the manager sets apart; it opens when the shortlist is invited."""
    programme = get_permitted_or_403(
        actor, Programme, programme_id, "grants.manage_programme", _("You do not manage this programme.")
    )
    fields = {k: v for k, v in as_columns(Call, fields).items() if k in CALL_FIELDS}
    _call_check(fields, programme)
    with transaction.atomic():
        if Call.objects.filter(programme=programme, code=fields["code"]).exists():
            raise ValidationError({"code": _("This programme already has a call with this code.")})
        call = Call.objects.create(
            programme=programme, envelope=Money(envelope_amount, programme.budget.currency), **fields
        )
        call_form_defaults_create(call)
        audit_record(
            actor=actor,
            action="call_create",
            obj=call,
            data={
                "code": call.code,
                "envelope": str(envelope_amount),
                "currency": programme.budget.currency,
                "indicators": _call_indicators_set(call, indicators) or [],
                "two_stage": bool(two_stage),
            },
        )
        if two_stage:
            full_code = f"{fields['code']}-full"[:30]
            if Call.objects.filter(programme=programme, code=full_code).exists():
                raise ValidationError({"code": _("This programme already has a call with this code.")})
            full = Call.objects.create(
                programme=programme,
                envelope=Money(envelope_amount, programme.budget.currency),
                concept_call=call,
                **{**fields, "code": full_code},
            )
            full.indicators.set(call.indicators.all())
            call_form_defaults_create(full)
            audit_record(actor=actor, action="call_create", obj=full, data={"code": full_code, "stage_of": call.pk})
    return call


def call_update(*, actor, call_id: int, envelope_amount=None, indicators=None, **fields) -> Call:
    """Change a draft call. Published calls keep the terms applicants read."""
    with transaction.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("programme").get(pk=call_id)
        if not actor.has_perm("grants.manage_call", call):
            raise PermissionDenied(_("You do not manage this call's programme."))
        if call.state != CallState.DRAFT:
            raise TransitionRefused(_("Only a draft call can be changed."))
        fields = {k: v for k, v in as_columns(Call, fields).items() if k in CALL_FIELDS}
        _call_check({**{f: getattr(call, f) for f in CALL_FIELDS}, **fields}, call.programme)
        if (
            "code" in fields
            and Call.objects.filter(programme=call.programme, code=fields["code"]).exclude(pk=call.pk).exists()
        ):
            raise ValidationError({"code": _("This programme already has a call with this code.")})
        changed = {k: v for k, v in fields.items() if getattr(call, k) != v}
        for name, value in changed.items():
            setattr(call, name, value)
        if envelope_amount is not None and envelope_amount != call.envelope.amount:
            call.envelope = Money(envelope_amount, call.programme.budget.currency)
            changed["envelope"] = envelope_amount
        call.save()
        if indicators is not None and (codes := _call_indicators_set(call, indicators)) is not None:
            changed["indicators"] = codes
        if changed:
            audit_record(actor=actor, action="call_update", obj=call, data=changed)
    return call


TEMPLATE_PARTS = {
    # part -> (model, fields a row may set)
    "questions": (Question, [*columns("text"), *columns("help_text"), "max_chars", "required"]),
    "budget_headings": (BudgetHeading, [*columns("name"), "kind"]),
    "required_documents": (RequiredDocument, [*columns("name"), *columns("description"), "required"]),
    "criteria": (
        Criterion,
        [*columns("name"), *columns("description"), "max_score", "weight", "minimum", "eliminatory"],
    ),
    "tranche_plan": (TranchePlanItem, ["share_pct", "condition"]),
}


def _template_problems(part: str, rows: list[dict]) -> list[str]:
    problems = []
    for n, row in enumerate(rows, start=1):
        if part == "questions":
            if not (row.get(f"text_{main_language()}") or "").strip():
                problems.append(_("Question %(n)s has no text.") % {"n": n})
            if not 1 <= int(row.get("max_chars") or 0) <= 100_000:
                problems.append(_("Question %(n)s needs a character limit between 1 and 100000.") % {"n": n})
        elif (
            part in ("budget_headings", "required_documents", "criteria")
            and not (row.get(f"name_{main_language()}") or "").strip()
        ):
            problems.append(_("Row %(n)s has no name.") % {"n": n})
        if part == "budget_headings" and row.get("kind", HeadingKind.DIRECT) not in HeadingKind.values:
            problems.append(_("Row %(n)s has an unknown kind of cost.") % {"n": n})
        if part == "criteria":
            if Decimal(row.get("max_score") or 0) <= 0:
                problems.append(_("Criterion %(n)s needs a positive maximum score.") % {"n": n})
            if Decimal(row.get("weight") or 0) <= 0:
                problems.append(_("Criterion %(n)s needs a positive weight.") % {"n": n})
            if Decimal(row.get("minimum") or 0) > Decimal(row.get("max_score") or 0):
                problems.append(_("Criterion %(n)s has a minimum above its maximum score.") % {"n": n})
        if part == "tranche_plan" and row.get("condition") not in TrancheCondition.values:
            problems.append(_("Tranche %(n)s has no release condition.") % {"n": n})
    if part == "tranche_plan" and rows:
        total = sum(Decimal(r.get("share_pct") or 0) for r in rows)
        if total != Decimal("100"):
            problems.append(_("The tranche shares add up to %(total)s%%, not 100%%.") % {"total": total})
        final = sum(
            Decimal(r.get("share_pct") or 0) for r in rows if r.get("condition") == TrancheCondition.FINAL_REPORT
        )
        if final < Decimal("10"):
            problems.append(
                _("At least %(final)s%% must wait for the final report (pre-financing at most %(max)s%%).")
                % {"final": 10, "max": 90}
            )
    return problems


def template_rows(call: Call, part: str):
    """The rows of a template part. Questions: the application form's own (long-text questions on
    this page and in the API; typed ones come from the form builder too, not file questions);
    documents: those no file question of the form holds."""
    model = TEMPLATE_PARTS[part][0]
    rows = model.objects.filter(call=call)  # type: ignore[attr-defined]
    if part == "questions":
        return rows.filter(purpose=FormPurpose.APPLICATION).exclude(kind=QuestionKind.FILE)
    if part == "required_documents":
        return rows.filter(question__isnull=True)
    return rows


def _placed(call: Call, part: str) -> dict:
    """Where a question added from the template goes: the form's first section of questions."""
    if part != "questions":
        return {}
    section = (
        FormSection.objects.filter(call=call, purpose=FormPurpose.APPLICATION, kind=SectionKind.QUESTIONS)
        .order_by("position", "pk")
        .first()
    )
    return {"section": section}


def call_template_save(*, actor, call_id: int, overall_threshold=None, **parts) -> Call:
    """Replace parts of a draft call's template (questions, budget headings, required documents,
    rubric criteria, tranche plan). Rows keep their ids when given `id`, so nothing pointing at
    them breaks; positions follow the order given."""
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if not actor.has_perm("grants.manage_call", call):
            raise PermissionDenied(_("You do not manage this call's programme."))
        if call.state != CallState.DRAFT:
            raise TransitionRefused(_("Only a draft call's template can be changed."))
        errors = {}
        for part, rows in parts.items():
            if part not in TEMPLATE_PARTS:
                raise ValueError(part)
            parts[part] = rows = [as_columns(TEMPLATE_PARTS[part][0], row) for row in rows]
            problems = _template_problems(part, rows)
            if problems:
                errors[part] = problems
        if errors:
            raise ValidationError(errors)
        changed = {}
        for part, rows in parts.items():
            model, allowed = TEMPLATE_PARTS[part]
            existing = {obj.pk: obj for obj in template_rows(call, part)}
            keep = {int(r["id"]) for r in rows if r.get("id") and int(r["id"]) in existing}
            template_rows(call, part).exclude(pk__in=keep).delete()
            # Move kept rows out of the way first: (call, position) is unique.
            template_rows(call, part).update(position=F("position") + 10000)
            for position, row in enumerate(rows, start=1):
                values = {k: row[k] for k in allowed if k in row}
                if row.get("id") and int(row["id"]) in keep:
                    model.objects.filter(pk=int(row["id"])).update(position=position, **values)  # type: ignore[attr-defined]
                else:
                    model.objects.create(call=call, position=position, **values, **_placed(call, part))  # type: ignore[attr-defined]
            changed[part] = len(rows)
        if "questions" in parts:  # autosave's cached question types are read afresh
            Call.objects.filter(pk=call.pk).update(form_token=new_form_token())
        if overall_threshold is not None and overall_threshold != call.overall_threshold:
            call.overall_threshold = overall_threshold
            call.save(update_fields=["overall_threshold"])
            changed["overall_threshold"] = overall_threshold
        if changed:
            audit_record(actor=actor, action="call_template_save", obj=call, data=changed)
    return call


def call_template_warnings(call: Call) -> list[str]:
    """What applicants would miss in a call that can otherwise be published."""
    warnings = []
    if not call.questions.exists():
        warnings.append(_("The call has no questions."))
    if not call.budget_headings.exists():
        warnings.append(_("The call has no budget headings: applicants cannot enter a budget."))
    if not call.required_documents.exists():
        warnings.append(_("The call asks for no documents."))
    if not call.tranche_plan.exists():
        warnings.append(_("The call has no tranche plan."))
    if not call.eligible_countries:
        warnings.append(_("No eligible countries are set: organisations from any country may apply."))
    return warnings
