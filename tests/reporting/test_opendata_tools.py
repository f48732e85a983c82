"""Open data as the official tools see it (issue 19): the 360Giving JSON and the CSV converted by
flattentool validate against the 360Giving schema in tests/schemas/360giving; the IATI activities
validate against the 2.03 XML Schema in tests/schemas/iati-2.03, use only codes of its codelists
and pass the IATI Standard Ruleset's `atleast_one` and `date_order` rules."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import flattentool
import pytest
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from grants.calls.models import Contribution, Donor, ProgrammeIndicator
from reporting.grantee.models import Indicator, IndicatorValue
from tests.reporting.builders import make_grant, pay_tranche

# The official schemas, codelists and ruleset, copied from ../shared/data into the repository
# (tests/schemas/README.md) so that a clone anywhere runs these tests.
SHARED = Path(__file__).resolve().parents[1] / "schemas"
GIVING = SHARED / "360giving"
IATI = SHARED / "iati-2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

pytestmark = pytest.mark.django_db


def validator_360() -> Draft202012Validator:
    package = json.loads((GIVING / "360-giving-package-schema.json").read_text())
    grant = json.loads((GIVING / "360-giving-schema.json").read_text())
    resource = DRAFT202012.create_resource(grant)
    ref = package["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resources([(ref, resource), (grant.get("$id", ref), resource)])
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value):  # RFC 3339 by the standard library (jsonschema needs an extra package)
        if not isinstance(value, str):
            return True
        if "T" not in value:
            raise ValueError("not a date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return Draft202012Validator(package, registry=registry, format_checker=checker)


def errors_360(package) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator_360().iter_errors(package)]


def codes(name: str) -> set[str]:
    tree = etree.parse(str(IATI / "codelists" / f"{name}.xml"))
    return {c.text for c in tree.iterfind(".//codelist-item/code")}


def ruleset_failures(document) -> list[str]:
    """The IATI Standard Ruleset's `atleast_one` and `date_order` rules, evaluated as pyIATI does."""
    rules = json.loads((IATI / "ruleset-standard.json").read_text())
    today = timezone.localdate().isoformat()
    failures = []
    for context, kinds in rules.items():
        for element in document.xpath(context):
            for case in kinds.get("atleast_one", {}).get("cases", []):
                if not any(element.xpath(path) for path in case["paths"]):
                    failures.append(f"{context}: none of {case['paths']}")
            for case in kinds.get("date_order", {}).get("cases", []):
                less = element.xpath(case["less"]) if case["less"] != "NOW" else [today]
                more = element.xpath(case["more"]) if case["more"] != "NOW" else [today]
                if less and more and str(less[0])[:10] > str(more[0])[:10]:
                    failures.append(f"{context}: {case['less']}={less[0]} after {case['more']}={more[0]}")
    return failures


@pytest.fixture
def published(call, funded_programme, grantee_org, grantee, make_org, make_user, manager, finance):
    """A decided call with two funders, a sector, three grants (Ukrainian, Armenian, suspended and
    withheld), a payment and an indicator with an approved actual."""
    Contribution.objects.create(
        donor=Donor.objects.create(name="Sida", identifier="XM-DAC-10-1", organisation_type="10"),
        programme=funded_programme,
        amount=Money(Decimal("500000"), "EUR"),
    )
    Donor.objects.filter(identifier="XI-IATI-EC_NEAR").update(organisation_type="40")
    call.sector = "15113"
    call.save()
    armenian_user = make_user("am@example.org")
    armenian = make_org(armenian_user, country="AM", legal_name="Ինֆորմացիայի ազատության կենտրոն")
    first = make_grant(call, grantee_org, grantee, amount="40000", title="Відкриті закупівлі")
    second = make_grant(call, armenian, armenian_user, amount="30000.50", title="Բաց տվյալներ")
    third_user = make_user("at-risk@example.org")
    third = make_grant(call, make_org(third_user, legal_name="At risk"), third_user, title="Quiet work")
    third.suspend()
    third.withhold_recipient, third.withhold_reason = True, "Grantee at risk"
    third.save()
    pay_tranche(first.tranches.get(position=1), manager, finance)
    programme_indicator = ProgrammeIndicator.objects.create(
        programme=funded_programme, code="OC1", name="Bodies publishing data", target=Decimal("10"), level="outcome"
    )
    indicator = Indicator.objects.create(
        grant=first,
        name="Громади, що публікують закупівлі",
        target=Decimal("5"),
        programme_indicator=programme_indicator,
    )
    report = first.reports.order_by("due_on").first()
    report.period_start, report.period_end = first.starts_on, min(report.due_on, timezone.localdate())
    report.submit()
    report.approve()
    report.save()
    IndicatorValue.objects.create(
        report=report, indicator=indicator, actual=Decimal("3"), breakdown={"women": "2.00", "men": "1.00"}
    )
    Indicator.objects.create(grant=second, name="Trainings", target=Decimal("4"))
    call.decide()
    call.save()
    return call, first, second, third


def _get(client, name, call):
    return client.get(reverse(f"data:{name}", args=[call.programme.code, call.code])).getvalue()


def test_360giving_json_validates_with_every_funder_a_data_source_and_locations(client, published):
    call, first, _second, third = published
    package = json.loads(_get(client, "opendata_360_json", call))
    assert not errors_360(package)
    by_id = {g["id"].rsplit("-", 1)[-1]: g for g in package["grants"]}
    grant = next(g for g in package["grants"] if g["title"] == "Відкриті закупівлі")
    assert [f["id"] for f in grant["fundingOrganization"]] == ["XI-IATI-EC_NEAR", "XM-DAC-10-1"]
    assert grant["dataSource"].startswith("http") and grant["beneficiaryLocation"] == [
        {"name": "Ukraine", "countryCode": "UA"}
    ]
    withheld = next(g for g in package["grants"] if g["title"] == "Quiet work")
    assert withheld["recipientOrganization"][0]["name"] == "Withheld" and "At risk" not in json.dumps(package)
    assert by_id


def test_360giving_csv_converts_with_flattentool_to_the_same_grants(client, published, tmp_path):
    call, *_ = published
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "grants.csv").write_bytes(_get(client, "opendata_360_csv", call).decode("utf-8-sig").encode())
    out = tmp_path / "converted.json"
    flattentool.unflatten(
        str(folder),
        output_name=str(out),
        input_format="csv",
        root_list_path="grants",
        root_id="",
        schema=str(GIVING / "360-giving-schema.json"),
        convert_titles=True,
        id_name="id",
    )
    converted = json.loads(out.read_text())
    package = {**json.loads(_get(client, "opendata_360_json", call)), "grants": converted["grants"]}
    assert not errors_360(package)
    grant = next(g for g in converted["grants"] if g["title"] == "Відкриті закупівлі")
    # Two funders, not one named "XI-IATI-EC_NEAR;XM-DAC-10-1".
    assert [f["id"] for f in grant["fundingOrganization"]] == ["XI-IATI-EC_NEAR", "XM-DAC-10-1"]
    assert grant["beneficiaryLocation"][0]["countryCode"] == "UA" and grant["dataSource"].startswith("http")
    assert grant["amountAwarded"] == 40000


def test_iati_activities_validate_use_codelists_and_pass_the_ruleset(client, published, settings):
    settings.HROMADA_IATI_REPORTING_ORG, settings.HROMADA_PUBLISHER_NAME = "XM-OCHA-HROMADA", "Hromada publisher"
    call, first, second, third = published
    document = etree.fromstring(_get(client, "opendata_iati", call))
    schema = etree.XMLSchema(etree.parse(str(IATI / "iati-activities-schema.xsd")))
    assert schema.validate(document), schema.error_log
    assert not ruleset_failures(document)
    activities = {a.findtext("iati-identifier").rsplit("-", 1)[-1]: a for a in document.iterfind("iati-activity")}
    assert len(activities) == 3
    for code in document.xpath("//sector/@code"):
        assert code in codes("Sector")
    assert set(document.xpath("//sector/@code")) == {"15113"}
    assert set(document.xpath("//sector/@vocabulary")) <= codes("SectorVocabulary")
    assert set(document.xpath("//reporting-org/@type | //participating-org/@type")) <= codes("OrganisationType")
    assert set(document.xpath("//activity-status/@code")) <= codes("ActivityStatus")
    assert set(document.xpath("//transaction-type/@code")) <= codes("TransactionType")
    assert set(document.xpath("//recipient-country/@code")) <= codes("Country")
    assert set(document.xpath("//@default-currency | //value/@currency")) <= codes("Currency")
    assert set(document.xpath("//result/@type")) <= codes("ResultType")
    assert set(document.xpath("//indicator/@measure")) <= codes("IndicatorMeasure")
    # The publisher reports; funders carry their own types; Ukrainian and Armenian text says so.
    assert set(document.xpath("//reporting-org/@ref")) == {"XM-OCHA-HROMADA"}
    assert set(document.xpath("//participating-org[@role='1']/@type")) == {"10", "40"}
    ukrainian = next(
        a for a in document.iterfind("iati-activity") if a.findtext("title/narrative") == "Відкриті закупівлі"
    )
    armenian = next(a for a in document.iterfind("iati-activity") if a.findtext("title/narrative") == "Բաց տվյալներ")
    assert ukrainian.find("title/narrative").get(XML_LANG) == "uk"
    assert armenian.find("title/narrative").get(XML_LANG) == "hy"
    # Suspended is 6; an active grant has its actual start; the withheld recipient has no ref.
    quiet = next(a for a in document.iterfind("iati-activity") if a.findtext("title/narrative") == "Quiet work")
    assert quiet.find("activity-status").get("code") == "6"
    assert ukrainian.xpath("activity-date[@type='2']/@iso-date")
    assert quiet.find("participating-org[@role='4']").get("ref") is None
    assert "At risk" not in etree.tostring(document, encoding="unicode")
    # Indicators as results with their periods.
    [result] = ukrainian.findall("result")
    assert result.get("type") == "2"
    [period] = result.findall("indicator/period")
    assert (period.find("target").get("value"), period.find("actual").get("value")) == ("5", "3")
    assert period.xpath("actual[dimension/@value='female']/@value") == ["2"]
    [open_result] = armenian.findall("result")
    assert open_result.find("indicator/period/actual") is None


def test_the_ruleset_check_catches_what_the_ruleset_forbids(client, published):
    call, *_ = published
    document = etree.fromstring(_get(client, "opendata_iati", call))
    activity = document.find("iati-activity")
    activity.remove(activity.find("sector"))
    activity.find("activity-date[@type='1']").set("iso-date", (date.today() + timedelta(days=4000)).isoformat())
    failures = ruleset_failures(document)
    assert any("sector" in f for f in failures) and any("activity-date[@type='1']" in f for f in failures)


@pytest.mark.parametrize(
    "text, language",
    [
        ("Open budgets in Lviv", "en"),
        ("Відкриті бюджети громад", "uk"),
        ("Открытые бюджеты общин", "ru"),
        ("Բաց բյուջեներ", "hy"),
        ("ღია ბიუჯეტები", "ka"),
        ("Açıq büdcələr və şəffaflıq", "az"),
        ("Bugete deschise în comunități", "ro"),
    ],
)
def test_each_narrative_names_its_own_language(text, language):
    from reporting.data.opendata import text_language

    assert text_language(text) == language
