"""Open data: 360Giving JSON (validated against the package and grant schemas shipped in
tests/schemas) and CSV, IATI 2.03 activities (validated with the XML Schema), public once the
call is decided and not before."""

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from grants.calls.models import CallState
from tests.reporting.builders import make_grant, pay_tranche

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
GRANT_SCHEMA_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"


def validator_360() -> Draft202012Validator:
    package = json.loads((SCHEMAS / "360giving" / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360giving" / "360-giving-schema.json").read_text())
    # The package's `items` names the grant schema by URL: map it (and the grant schema's own id) to the local copy.
    # Both files name their dialect "http://json-schema.org/draft/2020-12/schema" (http, not the
    # canonical https), which `referencing` does not recognise: say which dialect it is.
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(GRANT_SCHEMA_URL, resource), (grant["$id"], resource)])
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value):  # jsonschema needs an optional package for this one; RFC 3339 by the standard library
        if not isinstance(value, str):
            return True
        if "T" not in value:
            raise ValueError("not a date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return Draft202012Validator(package, registry=registry, format_checker=checker)


def iati_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "iati-2.03" / "iati-activities-schema.xsd")))


@pytest.fixture
def decided(call, grantee_org, grantee, make_org, make_user, manager, finance):
    armenian_user = make_user("am@example.org")
    armenian = make_org(armenian_user, country="AM", legal_name="Ինֆորմացիայի ազատության կենտրոն")
    first = make_grant(call, grantee_org, grantee, amount="40000", title="Відкриті закупівлі")
    make_grant(call, armenian, armenian_user, amount="30000.50", title="Բաց տվյալներ")
    pay_tranche(first.tranches.get(position=1), manager, finance)
    call.decide()
    call.save()
    return call


def test_the_360giving_package_validates_and_carries_every_field(decided, client):
    url = reverse("data:opendata_360_json", args=[decided.programme.code, decided.code])
    response = client.get(url)
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert response.streaming  # written grant by grant: memory stays flat however many grants
    package = json.loads(response.getvalue())
    errors = sorted(validator_360().iter_errors(package), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    first = next(g for g in package["grants"] if g["amountDisbursed"])
    assert first["id"].startswith("360G-hromada-EU4I-")
    assert first["title"] == "Відкриті закупівлі" and first["currency"] == "EUR"
    assert (first["amountAwarded"], first["amountAppliedFor"], first["amountDisbursed"]) == (40000, 40000, 16000)
    assert first["recipientOrganization"] == [
        {"id": "UA-EDR-40000001", "name": "Центр протидії корупції", "addressCountry": "Ukraine"}
    ]
    assert first["fundingOrganization"] == [{"id": "XI-IATI-EC_NEAR", "name": "European Union"}]
    assert first["beneficiaryLocation"] == [{"name": "Ukraine", "countryCode": "UA"}]
    assert first["plannedDates"][0]["duration"] == 12 and first["grantProgramme"][0]["code"] == "eu4i-adv"
    second = next(g for g in package["grants"] if g is not first)
    assert second["amountAwarded"] == 30000.5


def test_a_wrong_grant_fails_validation(decided):
    """The validator is strict enough to catch a broken record (a date in the wrong form, no funder)."""
    from reporting.data.opendata import package_360

    package = package_360(decided)
    package["grants"][0]["awardDate"] = "22/11/2026"
    package["grants"][0]["fundingOrganization"] = []
    messages = [e.message for e in validator_360().iter_errors(package)]
    assert messages


def test_the_360giving_csv_uses_the_standard_column_titles(decided, client):
    response = client.get(reverse("data:opendata_360_csv", args=[decided.programme.code, decided.code]))
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    header = rows[0]
    for title in (
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Award Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Funding Org:0:Identifier",
        "Funding Org:0:Name",
        "Amount Applied For",
        "Amount Disbursed",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Grant Programme:Title",
        "Beneficiary Location:Country Code",
    ):
        assert title in header
    assert len(rows) == 3
    by_title = {row[header.index("Title")]: row for row in rows[1:]}
    assert by_title["Բաց տվյալներ"][header.index("Recipient Org:Identifier")].startswith("AM-SRALE-")


def test_iati_activities_validate_with_commitments_and_disbursements(decided, client, settings):
    settings.HROMADA_IATI_REPORTING_ORG = "XM-OCHA-HROMADA"  # the publisher reports, not the donor
    response = client.get(reverse("data:opendata_iati", args=[decided.programme.code, decided.code]))
    assert response.streaming
    document = etree.fromstring(response.getvalue())
    schema = iati_schema()
    assert schema.validate(document), schema.error_log
    activities = document.findall("iati-activity")
    assert len(activities) == 2 and document.get("version") == "2.03"
    first = next(a for a in activities if a.xpath("transaction[transaction-type/@code='3']"))
    [commitment] = first.xpath("transaction[transaction-type/@code='2']")
    assert commitment.find("value").text == "40000.00"
    [disbursement] = first.xpath("transaction[transaction-type/@code='3']")
    assert disbursement.find("value").text == "16000.00"
    assert first.find("iati-identifier").text.startswith("XM-OCHA-HROMADA-EU4I-")
    assert first.find("participating-org[@role='4']").get("ref") == "UA-EDR-40000001"
    assert first.find("recipient-country").get("code") == "UA"


def test_iati_schema_catches_a_broken_activity(decided):
    from reporting.data.opendata import iati_activities

    document = etree.fromstring(iati_activities(decided))
    activity = document.find("iati-activity")
    activity.remove(activity.find("reporting-org"))
    assert not iati_schema().validate(document)


@pytest.mark.parametrize("state", [CallState.REVIEWING, CallState.OPEN])
def test_nothing_is_public_before_the_decision(state, funded_programme, client):
    from tests.factories import call_full

    call = call_full(funded_programme, code=f"c-{state}", state=state)
    for name in ("data:opendata_360_json", "data:opendata_360_csv", "data:opendata_iati"):
        assert client.get(reverse(name, args=[funded_programme.code, call.code])).status_code == 404
    assert call.title not in client.get(reverse("data:opendata_index")).content.decode()


def test_index_lists_decided_calls(decided, client):
    page = client.get(reverse("data:opendata_index")).content.decode()
    assert reverse("data:opendata_iati", args=[decided.programme.code, decided.code]) in page


def test_no_private_data_is_published(decided, client):
    from applications.models import Application

    app = Application.objects.filter(call=decided).first()
    Application.objects.filter(pk=app.pk).update(answers={"1": "SECRET ANSWER"}, decision_note="SECRET NOTE")
    body = (
        client.get(reverse("data:opendata_360_json", args=[decided.programme.code, decided.code])).getvalue().decode()
    )
    xml = client.get(reverse("data:opendata_iati", args=[decided.programme.code, decided.code])).getvalue().decode()
    assert "SECRET" not in body and "SECRET" not in xml and "BANK-" not in body
