import pytest
from django.core.exceptions import ValidationError

from accounts.orgid import orgid_validate


@pytest.mark.parametrize(
    "country,value,expected",
    [
        ("UA", "UA-EDR-12345678", "UA-EDR-12345678"),
        ("UA", " ua-edr-12345678 ", "UA-EDR-12345678"),
        ("AM", "AM-SRALE-286.110.04817", "AM-SRALE-286.110.04817"),
        ("AM", "AM-SRALE-02812345", "AM-SRALE-02812345"),
        ("GE", "GE-NAPR-404123456", "GE-NAPR-404123456"),
        ("MD", "MD-IDNO-1012620001234", "MD-IDNO-1012620001234"),
        ("AZ", "AZ-IVI-1401234567", "AZ-IVI-1401234567"),
    ],
)
def test_good_identifiers_are_accepted_and_normalised(country, value, expected):
    assert orgid_validate(country, value) == expected


@pytest.mark.parametrize(
    "country,value,code",
    [
        ("UA", "12345678", "prefix"),  # no prefix
        ("UA", "GE-NAPR-404123456", "prefix"),  # another country's registry
        ("UA", "UA-EDR-1234567", "number"),  # 7 digits
        ("UA", "UA-EDR-1234567X", "number"),
        ("AM", "AM-SRALE-28.11.048", "number"),
        ("GE", "GE-NAPR-40412345", "number"),  # 8 digits
        ("MD", "MD-IDNO-101262000123", "number"),  # 12 digits
        ("AZ", "AZ-IVI-14012345", "number"),
        ("AZ", "AZ-IVI-", "number"),
        ("BY", "BY-XXX-123", "country"),  # no registry we can validate
    ],
)
def test_bad_identifiers_are_refused_with_a_reason(country, value, code):
    with pytest.raises(ValidationError) as exc:
        orgid_validate(country, value)
    assert exc.value.code == code


def test_message_names_the_expected_form():
    with pytest.raises(ValidationError) as exc:
        orgid_validate("GE", "UA-EDR-12345678")
    message = exc.value.messages[0]
    assert "GE-NAPR-" in message and "GE-NAPR-404123456" in message
