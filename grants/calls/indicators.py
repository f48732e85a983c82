"""Use cases of a programme's results framework: its outcome and output indicators (code, name in
every UI language, unit, baseline, target, disaggregation). Calls say which of them their grants
contribute to (`call_update(indicators=…)`); applications propose their own indicators linked to
them; grants carry those; grantee reports record actuals; donors see target against actual.

Bulk entry from CSV/XLSX goes through the import framework (reporting.data, "indicators")."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.languages import as_columns, columns, main_language
from grants.calls.models import IndicatorLevel, Programme, ProgrammeIndicator

INDICATOR_FIELDS = ["level", "code", *columns("name"), "unit", "baseline", "target", "disaggregation"]
DISAGGREGATIONS = ("country", "gender", "age")


def indicator_number(value, field_name: str, *, allow_negative: bool = False) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: _("Enter a number.")})
    if not number.is_finite() or abs(number) >= Decimal("1e12") or (number < 0 and not allow_negative):
        raise ValidationError({field_name: _("Enter a number of at least 0.")})
    return number.quantize(Decimal("0.01"))


def indicator_fields_clean(fields: dict) -> dict:
    """The fields of one programme indicator, checked; ValidationError naming each wrong field."""
    errors: dict[str, object] = {}
    clean = {k: v for k, v in as_columns(ProgrammeIndicator, fields).items() if k in INDICATOR_FIELDS}
    for name in ("code", *columns("name"), "unit"):
        clean[name] = " ".join(str(clean.get(name) or "").split())
    if not clean["code"]:
        errors["code"] = _("Give the indicator a code, e.g. OP1.")
    if not clean[f"name_{main_language()}"]:
        errors["name"] = _("Name the indicator.")
    if clean.get("level", IndicatorLevel.OUTPUT) not in IndicatorLevel.values:
        errors["level"] = _("Choose outcome or output.")
    disaggregation = clean.get("disaggregation") or []
    if isinstance(disaggregation, str):
        disaggregation = [d.strip().lower() for d in disaggregation.replace(";", ",").split(",") if d.strip()]
    if any(d not in DISAGGREGATIONS for d in disaggregation):
        errors["disaggregation"] = _("Use any of: %(names)s.") % {"names": ", ".join(DISAGGREGATIONS)}
    clean["disaggregation"] = list(dict.fromkeys(disaggregation))
    for name in ("baseline", "target"):
        try:
            clean[name] = indicator_number(clean.get(name) if clean.get(name) not in (None, "") else "0", name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean


def programme_indicator_save(
    *, actor, programme_id: int, indicator_id: int | None = None, **fields
) -> ProgrammeIndicator:
    """Add an indicator to the programme's results framework, or change one."""
    clean = indicator_fields_clean(fields)
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme_id)
        if not actor.has_perm("grants.manage_programme", programme):
            raise PermissionDenied(_("You do not manage this programme."))
        taken = ProgrammeIndicator.objects.filter(programme=programme, code=clean["code"])
        if indicator_id is not None:
            taken = taken.exclude(pk=indicator_id)
        if taken.exists():
            raise ValidationError({"code": _("This programme already has an indicator with this code.")})
        if indicator_id is None:
            position = (programme.indicators.order_by("-position").values_list("position", flat=True).first() or 0) + 1
            indicator = ProgrammeIndicator.objects.create(programme=programme, position=position, **clean)
            changed = {k: clean[k] for k in INDICATOR_FIELDS}
        else:
            indicator = ProgrammeIndicator.objects.select_for_update().get(pk=indicator_id, programme=programme)
            changed = {k: v for k, v in clean.items() if getattr(indicator, k) != v}
            for name, value in changed.items():
                setattr(indicator, name, value)
            indicator.save()
        if changed:
            audit_record(
                actor=actor,
                action="programme_indicator_add" if indicator_id is None else "programme_indicator_update",
                obj=indicator,
                data={"programme": programme.pk, **changed},
            )
    return indicator
