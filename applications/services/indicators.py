"""The indicators an applicant proposes (baseline, target, means of verification), each linked to
one of the programme indicators the call contributes to. Saved as a whole table, like a budget;
on award they become the grant's indicators (grants.disbursement.lifecycle)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationState, ProposedIndicator
from applications.services.drafts import EDIT, application_deadline
from audit.services import audit_record
from core.errors import TransitionRefused
from core.text import single_line
from grants.calls.indicators import indicator_number

MAX_PROPOSED = 30


def proposed_indicators_clean(rows: list[dict], allowed: set[int]) -> list[dict]:
    """The table as the applicant filled it in, checked row by row (errors name the row)."""
    clean, errors = [], []
    for number, row in enumerate(rows, start=1):
        name = single_line(row.get("name") or "")[:300]
        if not name and row.get("target") in (None, ""):
            continue  # an empty row of the form
        problems = []
        if not name:
            problems.append(_("name the indicator"))
        link = row.get("programme_indicator")
        link_id = getattr(link, "pk", link)
        if link_id is not None and link_id != "" and int(link_id) not in allowed:
            problems.append(_("choose one of the call's programme indicators"))
        values = {}
        for field_name, problem in (
            ("baseline", _("enter the baseline as a number")),
            ("target", _("enter the target as a number")),
        ):
            raw = row.get(field_name)
            if raw in (None, "") and field_name == "baseline":
                raw = "0"
            try:
                values[field_name] = indicator_number(raw if raw is not None else "", field_name)
            except ValidationError:
                problems.append(problem)
        if problems:
            errors.append(_("Row %(n)s: %(problems)s.") % {"n": number, "problems": "; ".join(problems)})
            continue
        clean.append(
            {
                "programme_indicator_id": int(link_id) if link_id not in (None, "") else None,
                "name": name,
                "unit": single_line(row.get("unit") or "")[:60],
                "means_of_verification": single_line(row.get("means_of_verification") or "")[:300],
                **values,
            }
        )
    if len(clean) > MAX_PROPOSED:
        errors.append(_("At most %(n)s indicators.") % {"n": MAX_PROPOSED})
    if errors:
        raise ValidationError({"indicators": errors})
    return clean


def proposed_indicators_save(*, actor, application_id: int, rows: list[dict]) -> list[ProposedIndicator]:
    """Replace the draft's proposed indicators with `rows` (one audit event with the new table)."""
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application_id)
        if not actor.has_perm(EDIT, app):
            raise PermissionDenied(_("Only members of the applicant organisation can edit this application."))
        if app.state != ApplicationState.DRAFT:
            raise TransitionRefused(_("This application is no longer a draft and cannot be changed."))
        if timezone.now() >= application_deadline(app):
            raise TransitionRefused(_("The deadline has passed; the application can no longer be changed."))
        allowed = set(app.call.indicators.values_list("pk", flat=True))
        clean = proposed_indicators_clean(rows, allowed)
        ProposedIndicator.objects.filter(application=app).delete()
        saved = ProposedIndicator.objects.bulk_create(
            [ProposedIndicator(application=app, position=i, **row) for i, row in enumerate(clean, start=1)]
        )
        audit_record(actor=actor, action="proposed_indicators_save", obj=app, data={"indicators": clean})
    return saved
