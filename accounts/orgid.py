"""Organisation identifiers in org-id.guide form: <registry prefix>-<number in that registry>."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# country -> (registry prefix, pattern of the number, example, description of the number)
REGISTRIES = {
    "UA": ("UA-EDR", r"\d{8}", "UA-EDR-12345678", _("the 8-digit EDRPOU code")),
    "AM": ("AM-SRALE", r"\d{2,3}\.\d{3}\.\d{4,6}|\d{6,13}", "AM-SRALE-286.110.04817", _("the state register number")),
    "GE": ("GE-NAPR", r"\d{9}", "GE-NAPR-404123456", _("the 9-digit identification code")),
    "MD": ("MD-IDNO", r"\d{13}", "MD-IDNO-1012620001234", _("the 13-digit IDNO")),
    "AZ": ("AZ-IVI", r"\d{10}", "AZ-IVI-1401234567", _("the 10-digit taxpayer number (VÖEN)")),
}

COUNTRY_CHOICES = [
    ("AM", _("Armenia")),
    ("AZ", _("Azerbaijan")),
    ("GE", _("Georgia")),
    ("MD", _("Moldova")),
    ("UA", _("Ukraine")),
]
PROGRAMME_COUNTRY_CHOICES = COUNTRY_CHOICES + [("BY", _("Belarus"))]


def orgid_normalise(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def orgid_validate(country: str, value: str) -> str:
    """Return the normalised identifier or raise ValidationError saying what is expected."""
    value = orgid_normalise(value)
    if country not in REGISTRIES:
        raise ValidationError(_("Organisations from this country cannot be registered yet."), code="country")
    prefix, pattern, example, what = REGISTRIES[country]
    if not value.startswith(prefix + "-"):
        raise ValidationError(
            _("For this country the identifier starts with %(prefix)s- followed by %(what)s, e.g. %(example)s."),
            code="prefix",
            params={"prefix": prefix, "what": what, "example": example},
        )
    if not re.fullmatch(pattern, value[len(prefix) + 1 :]):
        raise ValidationError(
            _("After %(prefix)s- enter %(what)s, e.g. %(example)s."),
            code="number",
            params={"prefix": prefix, "what": what, "example": example},
        )
    return value
