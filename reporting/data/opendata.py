"""Open data: once a call is decided, its awarded grants are public as 360Giving JSON and CSV and
as IATI 2.03 activities with their commitment (type 2) and disbursement (type 3) transactions.

Only what an award makes public goes out: grant number, title, summary, amounts, dates, the
grantee's legal name, identifier and country (the name and identifier "withheld" for a grantee at
risk, as the 360Giving guidance allows), the funders, the grant's indicators with their targets and
approved actuals. Nothing of the application's answers, reviews or bank details.

What the official tools check: the 360Giving CSV names several funders in numbered columns
("Funding Org:0:Identifier", "Funding Org:1:Identifier"…), which flattentool reads back as a list;
every IATI activity has a DAC sector (the call's), narratives carry the language of their own text,
funders appear only with their org-id and IATI organisation type, the reporting organisation is the
publisher (settings.HROMADA_IATI_REPORTING_ORG), and indicators are `result` elements with periods.
"""

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils import timezone
from lxml import etree

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from core.spreadsheet import csv_streamed
from grants.agreements.models import Grant, GrantState
from grants.calls.models import Call, CallState, Contribution, IndicatorLevel
from grants.disbursement.models import Payment
from reporting.grantee.models import GranteeReportState, Indicator, IndicatorValue

PUBLIC_CALL_STATES = [CallState.DECIDED, CallState.ARCHIVED]
COUNTRY_NAMES = dict(PROGRAMME_COUNTRY_CHOICES)
SCHEMA_VERSION = "1.4"
GRANT_CHUNK = 500  # grants (and their payments) read at a time
IATI_VERSION = "2.03"
# IATI activity status: 1 pipeline, 2 implementation, 3 finalisation, 4 closed, 5 cancelled, 6 suspended
ACTIVITY_STATUS = {
    GrantState.DRAFT: "1",
    GrantState.ACTIVE: "2",
    GrantState.SUSPENDED: "6",
    GrantState.CLOSED: "4",
    GrantState.TERMINATED: "5",
}
# A call without a sector of its own is published under DAC 15150 "Democratic participation and
# civil society", what Hromada's programmes fund.
DEFAULT_SECTOR = "15150"
WITHHELD = "Withheld"
# IATI result type: 1 output, 2 outcome
RESULT_TYPE: dict[str, str] = {IndicatorLevel.OUTPUT.value: "1", IndicatorLevel.OUTCOME.value: "2"}


def publisher_prefix() -> str:
    """The 360Giving prefix assigned to the publisher (settings.HROMADA_360G_PREFIX)."""
    return settings.HROMADA_360G_PREFIX


def public_calls():
    return Call.objects.filter(state__in=PUBLIC_CALL_STATES).select_related("programme").order_by("-deadline", "code")


def public_call(programme_code: str, call_code: str) -> Call:
    """A decided (or archived) call; Call.DoesNotExist for any other (answer 404)."""
    return public_calls().get(programme__code=programme_code, code=call_code)


def public_grants(call: Call):
    approved = IndicatorValue.objects.filter(
        report__state=GranteeReportState.APPROVED, actual__isnull=False
    ).select_related("report")
    indicators = (
        Indicator.objects.select_related("programme_indicator")
        .prefetch_related(Prefetch("values", queryset=approved.order_by("report__due_on", "pk")))
        .order_by("position", "pk")
    )
    return (
        Grant.objects.filter(call=call)
        .select_related("organisation", "application")
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk")),
            Prefetch("indicators", queryset=indicators),
        )
        .order_by("number")
    )


def _funders(call: Call) -> list[dict]:
    """The programme's donors: `id` for 360Giving (their org-id, else one under the publisher's
    prefix), `iati_ref` and `iati_type` only when the donor has both (IATI needs both)."""
    funders = []
    for contribution in (
        Contribution.objects.filter(programme_id=call.programme_id).select_related("donor").order_by("donor__name")
    ):
        donor = contribution.donor
        funders.append(
            {
                "id": donor.identifier or f"360G-{publisher_prefix()}-donor-{donor.pk}",
                "name": donor.name,
                "iati_ref": donor.identifier if donor.identifier and donor.organisation_type else "",
                "iati_type": donor.organisation_type,
            }
        )
    return funders


def _recipient(grant: Grant) -> tuple[str, str]:
    """The recipient's identifier and name as published; withheld for a grantee at risk."""
    if grant.withhold_recipient:
        return f"360G-{publisher_prefix()}-withheld-{grant.number}", WITHHELD
    return grant.organisation.registration_id, grant.organisation.legal_name


def _award_date(grant: Grant) -> date:
    decided = grant.application.decided_at if grant.application_id else None
    return timezone.localdate(decided or grant.created_at)


def _months(start: date, end: date) -> int:
    """Duration in whole months, both days included (2026-01-01 to 2026-12-31 is 12)."""
    return max(1, round(Decimal((end - start).days + 1) * 12 / Decimal("365.25")))


def _number(value: Decimal):
    """A JSON number for an amount: an int when whole, else a float. Amounts have at most 14
    significant digits, so the float's shortest text is exactly the Decimal's (no rounding)."""
    value = Decimal(value).quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)


def grant_identifier(grant: Grant) -> str:
    return f"360G-{publisher_prefix()}-{grant.number}"


def grants_360_iter(call: Call, data_source: str = "") -> Iterator[dict]:
    """The call's grants as 360Giving items, read GRANT_CHUNK at a time (with their payments).
    `data_source`: the address of the published data (the grant's `dataSource`)."""
    funders = [{"id": f["id"], "name": f["name"]} for f in _funders(call)]
    programme = call.programme
    for grant in public_grants(call).iterator(chunk_size=GRANT_CHUNK):
        org = grant.organisation
        recipient_id, recipient_name = _recipient(grant)
        disbursed = sum((p.amount_programme_currency for p in grant.payments.all()), Decimal("0"))
        item = {
            "id": grant_identifier(grant),
            "title": grant.title,
            "description": (grant.application.summary if grant.application_id else "") or grant.title,
            "currency": grant.currency,
            "amountAwarded": _number(grant.amount_awarded),
            "amountAppliedFor": _number(grant.application.requested_amount or grant.amount_awarded),
            "amountDisbursed": _number(disbursed),
            "awardDate": _award_date(grant).isoformat(),
            "plannedDates": [
                {
                    "startDate": grant.starts_on.isoformat(),
                    "endDate": grant.ends_on.isoformat(),
                    "duration": _months(grant.starts_on, grant.ends_on),
                }
            ],
            "recipientOrganization": [
                {
                    "id": recipient_id,
                    "name": recipient_name,
                    "addressCountry": str(COUNTRY_NAMES.get(org.country, org.country)),
                }
            ],
            "fundingOrganization": funders,
            "grantProgramme": [{"code": f"{programme.code}-{call.code}", "title": call.title}],
            "beneficiaryLocation": [
                {"name": str(COUNTRY_NAMES.get(org.country, org.country)), "countryCode": org.country}
            ],
            "fromOpenCall": "Yes",
            "dateModified": timezone.now().replace(microsecond=0).isoformat(),
        }
        if data_source:
            item["dataSource"] = data_source
        yield item


def grants_360(call: Call, data_source: str = "") -> list[dict]:
    return list(grants_360_iter(call, data_source))


def _package_360_about(call: Call, base_url: str = "") -> dict:
    about = {
        "version": SCHEMA_VERSION,
        "title": f"{call.programme.title}: {call.title}",
        "issued": timezone.localdate().isoformat(),
        "publisher": {"name": settings.HROMADA_PUBLISHER_NAME or call.programme.title},
        "license": "https://creativecommons.org/licenses/by/4.0/",
    }
    if base_url:
        about["accessURL"] = base_url
    return about


def package_360(call: Call, base_url: str = "") -> dict:
    return {"grants": grants_360(call, base_url), **_package_360_about(call, base_url)}


def json_360_stream(call: Call, base_url: str = "") -> Iterator[bytes]:
    """The 360Giving package as JSON in pieces, one grant at a time as the grants are read (for a
    StreamingHttpResponse): memory stays flat whatever the number of grants."""
    yield b'{\n  "grants": ['
    separator = b"\n    "
    for item in grants_360_iter(call, base_url):
        yield separator + json.dumps(item, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
        separator = b",\n    "
    about = json.dumps(_package_360_about(call, base_url), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    yield b"\n  ],\n" + about[1:].lstrip("\n").encode() + b"\n"


CSV_COLUMNS = [
    ("Identifier", lambda g: g["id"]),
    ("Title", lambda g: g["title"]),
    ("Description", lambda g: g["description"]),
    ("Currency", lambda g: g["currency"]),
    ("Amount Awarded", lambda g: g["amountAwarded"]),
    ("Amount Applied For", lambda g: g["amountAppliedFor"]),
    ("Amount Disbursed", lambda g: g["amountDisbursed"]),
    ("Award Date", lambda g: g["awardDate"]),
    ("Planned Dates:Start Date", lambda g: g["plannedDates"][0]["startDate"]),
    ("Planned Dates:End Date", lambda g: g["plannedDates"][0]["endDate"]),
    ("Planned Dates:Duration (months)", lambda g: g["plannedDates"][0]["duration"]),
    ("Recipient Org:Identifier", lambda g: g["recipientOrganization"][0]["id"]),
    ("Recipient Org:Name", lambda g: g["recipientOrganization"][0]["name"]),
    ("Recipient Org:Country", lambda g: g["recipientOrganization"][0]["addressCountry"]),
    ("Grant Programme:Code", lambda g: g["grantProgramme"][0]["code"]),
    ("Grant Programme:Title", lambda g: g["grantProgramme"][0]["title"]),
    ("Beneficiary Location:Name", lambda g: g["beneficiaryLocation"][0]["name"]),
    ("Beneficiary Location:Country Code", lambda g: g["beneficiaryLocation"][0]["countryCode"]),
    ("From An Open Call?", lambda g: g["fromOpenCall"]),
    ("Data Source", lambda g: g.get("dataSource", "")),
    ("Last Modified", lambda g: g["dateModified"]),
]


def _funder_columns(count: int) -> list:
    """One numbered pair of columns per funder, the standard's flat layout for several funders:
    flattentool reads "Funding Org:1:Identifier" back as the second fundingOrganization."""
    columns = []
    for i in range(count):
        columns.append((f"Funding Org:{i}:Identifier", lambda g, i=i: g["fundingOrganization"][i]["id"]))
        columns.append((f"Funding Org:{i}:Name", lambda g, i=i: g["fundingOrganization"][i]["name"]))
    return columns


def csv_360_stream(call: Call, data_source: str = "") -> Iterator[bytes]:
    """360Giving's flat (spreadsheet) form, column titles as the standard names them, in pieces as
    the grants are read (for a StreamingHttpResponse). Text cells that a spreadsheet would run as a
    formula get a leading apostrophe."""
    columns = CSV_COLUMNS[:14] + _funder_columns(len(_funders(call))) + CSV_COLUMNS[14:]
    rows = ([get(grant) for _title, get in columns] for grant in grants_360_iter(call, data_source))
    return csv_streamed([title for title, _get in columns], rows)


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")
RUSSIAN_LETTERS = set("ыэъёЫЭЪЁ")
AZERBAIJANI_LETTERS = set("əƏ")
ROMANIAN_LETTERS = set("șțăâîȘȚĂÂÎşţŞŢ")


def text_language(text: str) -> str:
    """The language of a piece of text by its script and letters: Armenian, Georgian, Ukrainian
    or Russian (Cyrillic; Russian only by letters Ukrainian lacks), Azerbaijani (ə), Romanian
    (ș ț ă â î), English otherwise. A text names its language for IATI's xml:lang."""
    letters = set(text or "")
    for char in text or "":
        if "\u0530" <= char <= "\u058f":
            return "hy"
        if "\u10a0" <= char <= "\u10ff" or "\u1c90" <= char <= "\u1cbf":
            return "ka"
        if "\u0400" <= char <= "\u04ff":
            return "ru" if letters & RUSSIAN_LETTERS and not letters & UKRAINIAN_LETTERS else "uk"
    if letters & AZERBAIJANI_LETTERS:
        return "az"
    if letters & ROMANIAN_LETTERS:
        return "ro"
    return "en"


def _narrative(parent, tag, text, lang=None):
    """`<tag><narrative xml:lang=…>text</narrative></tag>`; the language is the text's own unless
    it is English, the activity's default."""
    element = etree.SubElement(parent, tag)
    _narrative_add(element, text, lang)
    return element


def _narrative_add(element, text, lang=None):
    narrative = etree.SubElement(element, "narrative")
    lang = lang or text_language(text)
    if lang != "en":
        narrative.set(XML_LANG, lang)
    narrative.text = text
    return narrative


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def reporting_org() -> tuple[str, str, str]:
    """The publisher as IATI's reporting organisation: its org-id, type and name (required in
    production, config/settings.py; a development placeholder otherwise)."""
    ref = settings.HROMADA_IATI_REPORTING_ORG or f"XX-DEV-{publisher_prefix()}"
    return ref, settings.HROMADA_PUBLISHER_ORG_TYPE, settings.HROMADA_PUBLISHER_NAME or "Hromada"


def iati_activities_stream(call: Call) -> Iterator[bytes]:
    """IATI 2.03 activity XML in pieces: one activity per grant, with its commitment and
    disbursements, written as the grants are read (GRANT_CHUNK at a time) so that memory stays
    flat whatever the number of grants."""
    funders = [f for f in _funders(call) if f["iati_ref"]]
    reporting = reporting_org()
    sector = call.sector or DEFAULT_SECTOR
    now = timezone.now().replace(microsecond=0).isoformat()
    root = etree.Element("iati-activities", version=IATI_VERSION, **{"generated-datetime": now})
    opening = etree.tostring(root, encoding="UTF-8", xml_declaration=True).rstrip(b"/>\n")
    yield opening + b">\n"
    for grant in public_grants(call).iterator(chunk_size=GRANT_CHUNK):
        activity = _iati_activity(grant, funders, reporting, sector, now)
        etree.indent(activity, space="  ", level=1)
        yield b"  " + etree.tostring(activity, encoding="UTF-8") + b"\n"
    yield b"</iati-activities>\n"


def iati_activities(call: Call) -> bytes:
    return b"".join(iati_activities_stream(call))


def _iati_activity(grant: Grant, funders: list[dict], reporting: tuple[str, str, str], sector: str, now: str):
    org = grant.organisation
    reporting_ref, reporting_type, reporting_name = reporting
    activity = etree.Element("iati-activity", **{"last-updated-datetime": now, "default-currency": grant.currency})
    activity.set(XML_LANG, "en")
    etree.SubElement(activity, "iati-identifier").text = f"{reporting_ref}-{grant.number}"
    reporting_el = etree.SubElement(activity, "reporting-org", ref=reporting_ref, type=reporting_type)
    _narrative_add(reporting_el, reporting_name)
    _narrative(activity, "title", grant.title)
    description = _narrative(
        activity, "description", (grant.application.summary if grant.application_id else "") or grant.title
    )
    description.set("type", "1")
    for funder in funders:
        participant = etree.SubElement(
            activity, "participating-org", ref=funder["iati_ref"], role="1", type=funder["iati_type"]
        )
        _narrative_add(participant, funder["name"])
    recipient_ref, recipient_name = _recipient(grant)
    implementer = etree.SubElement(activity, "participating-org", role="4", type="22")
    if not grant.withhold_recipient:
        implementer.set("ref", recipient_ref)
    _narrative_add(implementer, recipient_name)
    etree.SubElement(activity, "activity-status", code=ACTIVITY_STATUS.get(grant.state, "2"))
    etree.SubElement(activity, "activity-date", type="1", **{"iso-date": grant.starts_on.isoformat()})
    started = timezone.localdate(grant.signed_at) if grant.signed_at else None
    if started is not None and grant.state != GrantState.DRAFT:
        etree.SubElement(activity, "activity-date", type="2", **{"iso-date": started.isoformat()})
    etree.SubElement(activity, "activity-date", type="3", **{"iso-date": grant.ends_on.isoformat()})
    if started is not None and grant.state in (GrantState.CLOSED, GrantState.TERMINATED):
        ended = max(started, min(grant.ends_on, timezone.localdate()))
        etree.SubElement(activity, "activity-date", type="4", **{"iso-date": ended.isoformat()})
    etree.SubElement(activity, "recipient-country", code=org.country, percentage="100")
    etree.SubElement(activity, "sector", vocabulary="1", code=sector, percentage="100")
    award = _award_date(grant).isoformat()
    receiver = (None if grant.withhold_recipient else recipient_ref, recipient_name)
    _transaction(activity, "2", award, grant.amount_awarded, grant.currency, receiver)
    for payment in grant.payments.all():
        _transaction(
            activity,
            "3",
            payment.paid_on.isoformat(),
            payment.amount_programme_currency,
            grant.currency,
            receiver,
            ref=payment.bank_reference and f"{grant.number}-T{payment.tranche_id}",
        )
    for indicator in grant.indicators.all():
        _result(activity, grant, indicator)
    return activity


def _transaction(activity, type_code, iso_date, amount, currency, receiver, ref=None):
    tx = etree.SubElement(activity, "transaction")
    if ref:
        tx.set("ref", ref)
    etree.SubElement(tx, "transaction-type", code=type_code)
    etree.SubElement(tx, "transaction-date", **{"iso-date": iso_date})
    value = etree.SubElement(tx, "value", currency=currency, **{"value-date": iso_date})
    value.text = _money(amount)
    receiver_ref, receiver_name = receiver
    receiver_el = etree.SubElement(tx, "receiver-org")
    if receiver_ref:
        receiver_el.set("ref", receiver_ref)
    _narrative_add(receiver_el, receiver_name)
    return tx


def _result(activity, grant: Grant, indicator: Indicator):
    """One grant indicator as an IATI result: its target, and a period per approved report with
    the actual value it recorded (one period over the grant's dates while none is approved)."""
    level = indicator.programme_indicator.level if indicator.programme_indicator else IndicatorLevel.OUTPUT
    result = etree.SubElement(activity, "result", type=RESULT_TYPE.get(str(level), "1"), **{"aggregation-status": "1"})
    _narrative(result, "title", indicator.name)
    element = etree.SubElement(result, "indicator", measure="1", ascending="1")
    _narrative(element, "title", indicator.name if not indicator.unit else f"{indicator.name} ({indicator.unit})")
    etree.SubElement(
        element,
        "baseline",
        year=str(grant.starts_on.year),
        **{"iso-date": grant.starts_on.isoformat(), "value": _number_text(indicator.baseline)},
    )
    periods = []
    for value in indicator.values.all():
        report = value.report
        start = report.period_start or grant.starts_on
        end = report.period_end or report.due_on
        if end >= start:
            periods.append((start, end, value.actual, value.breakdown or {}))
    if not periods:
        periods = [(grant.starts_on, grant.ends_on, None, {})]
    for start, end, actual, breakdown in periods:
        period = etree.SubElement(element, "period")
        etree.SubElement(period, "period-start", **{"iso-date": start.isoformat()})
        etree.SubElement(period, "period-end", **{"iso-date": end.isoformat()})
        etree.SubElement(period, "target", value=_number_text(indicator.target))
        if actual is not None:
            etree.SubElement(period, "actual", value=_number_text(actual))
            for group, sex in (("women", "female"), ("men", "male")):
                if breakdown.get(group) is not None:  # the part of the actual, by IATI's dimension
                    part = etree.SubElement(period, "actual", value=_number_text(Decimal(breakdown[group])))
                    etree.SubElement(part, "dimension", name="sex", value=sex)
    return result


def _number_text(value: Decimal) -> str:
    value = Decimal(value)
    return str(value.quantize(Decimal("1"))) if value == value.to_integral_value() else str(value.normalize())
