"""A grant's own indicators: added and their targets changed by the programme's managers, each
change audited with its reason (the results framework's grant level)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from grants.agreements.models import Grant
from grants.calls.models import ProgrammeIndicator
from reporting.grantee.models import Indicator
from reporting.grantee.services import _decimal, report_permission_require


def indicator_add(
    *, actor, grant_id: int, name: str, target, baseline=0, unit: str = "", programme_indicator_id: int | None = None
) -> Indicator:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the indicator.")})
    target, baseline = _decimal(target, "target"), _decimal(baseline or 0, "baseline")
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call").get(pk=grant_id)
        report_permission_require(actor, "reporting.review_report", grant)
        if (
            programme_indicator_id is not None
            and not ProgrammeIndicator.objects.filter(
                pk=programme_indicator_id, programme_id=grant.call.programme_id
            ).exists()
        ):
            raise ValidationError({"programme_indicator": _("Choose an indicator of the grant's programme.")})
        position = (grant.indicators.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        indicator = Indicator.objects.create(
            grant=grant,
            position=position,
            name=name[:300],
            unit=(unit or "")[:60],
            baseline=baseline,
            target=target,
            programme_indicator_id=programme_indicator_id,
        )
        audit_record(
            actor=actor,
            action="indicator_add",
            obj=grant,
            data={"indicator": indicator.pk, "name": indicator.name, "baseline": baseline, "target": target},
        )
    return indicator


def indicator_change(*, actor, indicator_id: int, target, baseline=None, reason: str) -> Indicator:
    """Change a grant indicator's target (and baseline): an amendment of the logframe, so it says
    why and the audit event keeps the values before and after."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the indicator changes.")})
    target = _decimal(target, "target")
    with transaction.atomic():
        indicator = Indicator.objects.select_for_update(of=("self",)).select_related("grant__call").get(pk=indicator_id)
        report_permission_require(actor, "reporting.review_report", indicator.grant)
        before = {"target": indicator.target, "baseline": indicator.baseline}
        indicator.target = target
        if baseline not in (None, ""):
            indicator.baseline = _decimal(baseline, "baseline")
        indicator.save(update_fields=["target", "baseline"])
        audit_record(
            actor=actor,
            action="indicator_change",
            obj=indicator.grant,
            reason=reason,
            data={
                "indicator": indicator.pk,
                "before": before,
                "after": {"target": indicator.target, "baseline": indicator.baseline},
            },
        )
    return indicator


# --- filling a report in -----------------------------------------------------------------------
