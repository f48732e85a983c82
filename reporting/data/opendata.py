"""Open data: once a call is decided, its awarded grants are public as 360Giving JSON and CSV and
as IATI 2.03 activities with their commitment (type 2) and disbursement (type 3) transactions.

Only what an award makes public goes out: grant number, title, summary, amounts, dates, the
grantee's legal name, identifier and country, the funders. Nothing of the application's answers,
reviews or bank details.
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
from grants.calls.models import Call, CallState, Contribution
from grants.disbursement.models import Payment

PUBLIC_CALL_STATES = [CallState.DECIDED, CallState.ARCHIVED]
COUNTRY_NAMES = dict(PROGRAMME_COUNTRY_CHOICES)
SCHEMA_VERSION = "1.4"
GRANT_CHUNK = 500  # grants (and their payments) read at a time
IATI_VERSION = "2.03"
# IATI activity status: 2 implementation, 3 finalisation, 4 closed, 5 cancelled
ACTIVITY_STATUS = {
    GrantState.DRAFT: "1",
    GrantState.ACTIVE: "2",
    GrantState.SUSPENDED: "2",
    GrantState.CLOSED: "4",
    GrantState.TERMINATED: "5",
}


def publisher_prefix() -> str:
    """The 360Giving prefix assigned to the publisher (settings.HROMADA_360G_PREFIX)."""
    return settings.HROMADA_360G_PREFIX


def public_calls():
    return Call.objects.filter(state__in=PUBLIC_CALL_STATES).select_related("programme").order_by("-deadline", "code")


def public_call(programme_code: str, call_code: str) -> Call:
    """A decided (or archived) call; Call.DoesNotExist for any other (answer 404)."""
    return public_calls().get(programme__code=programme_code, code=call_code)


def public_grants(call: Call):
    return (
        Grant.objects.filter(call=call)
        .select_related("organisation", "application")
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk")))
        .order_by("number")
    )


def _funders(call: Call) -> list[dict]:
    funders = []
    for contribution in (
        Contribution.objects.filter(programme_id=call.programme_id).select_related("donor").order_by("donor__name")
    ):
        donor = contribution.donor
        funders.append({"id": donor.identifier or f"360G-{publisher_prefix()}-donor-{donor.pk}", "name": donor.name})
    return funders


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


def grants_360_iter(call: Call) -> Iterator[dict]:
    """The call's grants as 360Giving items, read GRANT_CHUNK at a time (with their payments)."""
    funders = _funders(call)
    programme = call.programme
    for grant in public_grants(call).iterator(chunk_size=GRANT_CHUNK):
        org = grant.organisation
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
                    "id": org.registration_id,
                    "name": org.legal_name,
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
        yield item


def grants_360(call: Call) -> list[dict]:
    return list(grants_360_iter(call))


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
    return {"grants": grants_360(call), **_package_360_about(call, base_url)}


def json_360_stream(call: Call, base_url: str = "") -> Iterator[bytes]:
    """The 360Giving package as JSON in pieces, one grant at a time as the grants are read (for a
    StreamingHttpResponse): memory stays flat whatever the number of grants."""
    yield b'{\n  "grants": ['
    separator = b"\n    "
    for item in grants_360_iter(call):
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
    ("Funding Org:Identifier", lambda g: ";".join(f["id"] for f in g["fundingOrganization"])),
    ("Funding Org:Name", lambda g: ";".join(f["name"] for f in g["fundingOrganization"])),
    ("Grant Programme:Code", lambda g: g["grantProgramme"][0]["code"]),
    ("Grant Programme:Title", lambda g: g["grantProgramme"][0]["title"]),
    ("Beneficiary Location:Name", lambda g: g["beneficiaryLocation"][0]["name"]),
    ("Beneficiary Location:Country Code", lambda g: g["beneficiaryLocation"][0]["countryCode"]),
    ("From An Open Call?", lambda g: g["fromOpenCall"]),
    ("Last Modified", lambda g: g["dateModified"]),
]


def csv_360_stream(call: Call) -> Iterator[bytes]:
    """360Giving's flat (spreadsheet) form, column titles as the standard names them, in pieces as
    the grants are read (for a StreamingHttpResponse). Text cells that a spreadsheet would run as a
    formula get a leading apostrophe."""
    rows = ([get(grant) for _title, get in CSV_COLUMNS] for grant in grants_360_iter(call))
    return csv_streamed([title for title, _get in CSV_COLUMNS], rows)


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _narrative(parent, tag, text, lang=None):
    element = etree.SubElement(parent, tag)
    narrative = etree.SubElement(element, "narrative")
    if lang:
        narrative.set(XML_LANG, lang)
    narrative.text = text
    return element


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def iati_activities_stream(call: Call) -> Iterator[bytes]:
    """IATI 2.03 activity XML in pieces: one activity per grant, with its commitment and
    disbursements, written as the grants are read (GRANT_CHUNK at a time) so that memory stays
    flat whatever the number of grants."""
    funders = _funders(call)
    reporting_ref = settings.HROMADA_IATI_REPORTING_ORG or (funders[0]["id"] if funders else publisher_prefix())
    reporting_name = funders[0]["name"] if funders else call.programme.title
    now = timezone.now().replace(microsecond=0).isoformat()
    root = etree.Element("iati-activities", version=IATI_VERSION, **{"generated-datetime": now})
    opening = etree.tostring(root, encoding="UTF-8", xml_declaration=True).rstrip(b"/>\n")
    yield opening + b">\n"
    for grant in public_grants(call).iterator(chunk_size=GRANT_CHUNK):
        activity = _iati_activity(grant, funders, reporting_ref, reporting_name, now)
        etree.indent(activity, space="  ", level=1)
        yield b"  " + etree.tostring(activity, encoding="UTF-8") + b"\n"
    yield b"</iati-activities>\n"


def iati_activities(call: Call) -> bytes:
    return b"".join(iati_activities_stream(call))


def _iati_activity(grant: Grant, funders: list[dict], reporting_ref: str, reporting_name: str, now: str):
    org = grant.organisation
    activity = etree.Element("iati-activity", **{"last-updated-datetime": now, "default-currency": grant.currency})
    activity.set(XML_LANG, "en")
    etree.SubElement(activity, "iati-identifier").text = f"{reporting_ref}-{grant.number}"
    reporting = etree.SubElement(activity, "reporting-org", ref=reporting_ref, type="40")
    etree.SubElement(reporting, "narrative").text = reporting_name
    _narrative(activity, "title", grant.title)
    description = _narrative(
        activity, "description", (grant.application.summary if grant.application_id else "") or grant.title
    )
    description.set("type", "1")
    for funder in funders:
        participant = etree.SubElement(activity, "participating-org", ref=funder["id"], role="1", type="40")
        etree.SubElement(participant, "narrative").text = funder["name"]
    implementer = etree.SubElement(activity, "participating-org", ref=org.registration_id, role="4", type="22")
    etree.SubElement(implementer, "narrative").text = org.legal_name
    etree.SubElement(activity, "activity-status", code=ACTIVITY_STATUS.get(grant.state, "2"))
    etree.SubElement(activity, "activity-date", type="1", **{"iso-date": grant.starts_on.isoformat()})
    etree.SubElement(activity, "activity-date", type="3", **{"iso-date": grant.ends_on.isoformat()})
    etree.SubElement(activity, "recipient-country", code=org.country, percentage="100")
    award = _award_date(grant).isoformat()
    _transaction(activity, "2", award, grant.amount_awarded, grant.currency, org)
    for payment in grant.payments.all():
        _transaction(
            activity,
            "3",
            payment.paid_on.isoformat(),
            payment.amount_programme_currency,
            grant.currency,
            org,
            ref=payment.bank_reference and f"{grant.number}-T{payment.tranche_id}",
        )
    return activity


def _transaction(activity, type_code, iso_date, amount, currency, org, ref=None):
    tx = etree.SubElement(activity, "transaction")
    if ref:
        tx.set("ref", ref)
    etree.SubElement(tx, "transaction-type", code=type_code)
    etree.SubElement(tx, "transaction-date", **{"iso-date": iso_date})
    value = etree.SubElement(tx, "value", currency=currency, **{"value-date": iso_date})
    value.text = _money(amount)
    receiver = etree.SubElement(tx, "receiver-org", ref=org.registration_id)
    etree.SubElement(receiver, "narrative").text = org.legal_name
    return tx
