"""Imports (organisations, reviewers, exchange rates): a preview with row-level errors before
anything is saved, then all rows or none; who may import what."""

import io
import os
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Organisation, ProgrammeRole, User
from applications.review.models import ReviewerProfile
from audit.models import AuditEvent
from grants.disbursement.models import ExchangeRate
from reporting.data import imports


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


ORGS_CSV = """legal_name,country,org_type,registration_id,website
Центр протидії корупції,UA,ngo,UA-EDR-35960913,https://antac.org.ua
Հակակոռուպցիոն կենտրոն,AM,ngo,AM-SRALE-222.110.02312,
Transparency International Georgia,GE,ngo,GE-NAPR-204470530,
"""


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def test_a_clean_file_previews_then_imports_once(manager):
    token, preview = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV), filename="o.csv"
    )
    assert imports.import_summary(preview) == {"new": 3, "update": 0, "skip": 0, "invalid": 0, "total": 3}
    assert not Organisation.objects.exists()  # the preview saved nothing
    result = imports.import_confirm(actor=manager, token=token)
    assert not result.has_validation_errors()
    assert set(Organisation.objects.values_list("registration_id", flat=True)) == {
        "UA-EDR-35960913",
        "AM-SRALE-222.110.02312",
        "GE-NAPR-204470530",
    }
    event = AuditEvent.objects.get(action="organisations_import")
    assert event.actor == manager and event.data["count"] == 3
    # the same file again: every row is already there, nothing changes
    _token, again = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV), filename="o.csv"
    )
    assert imports.import_summary(again)["skip"] == 3


def test_row_errors_are_named_per_column_and_nothing_is_saved(manager):
    text = (
        ORGS_CSV
        + """Bad identifier,UA,ngo,UA-EDR-123,
Wrong country,FR,ngo,FR-XX-1,
Wrong type,GE,company,GE-NAPR-204470531,
,MD,ngo,MD-IDNO-1003600123456,ftp://x
Repeated,UA,ngo,UA-EDR-35960913,
"""
    )
    token, result = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(text), filename="o.csv"
    )
    errors = {row["number"]: dict(row["messages"]) for row in imports.import_errors(result)}
    assert set(errors) == {4, 5, 6, 7, 8}
    assert "UA-EDR-" in errors[4]["registration_id"] and "8-digit" in errors[4]["registration_id"]
    assert "country" in errors[5] and "org_type" in errors[6]
    assert {"legal_name", "website"} <= set(errors[7])
    assert "repeats an earlier row" in errors[8]["registration_id"]
    confirmed = imports.import_confirm(actor=manager, token=token)
    assert confirmed.has_validation_errors() and not Organisation.objects.exists()


def test_missing_columns_are_reported(manager):
    _token, result = imports.import_preview(
        actor=manager, kind="organisations", content=b"name,country\nX,UA\n", filename="o.csv"
    )
    [row] = imports.import_errors(result)
    assert "legal_name" in row["messages"][0][1] and not Organisation.objects.exists()


def test_xlsx_and_semicolon_csv_are_read(manager):
    workbook = Workbook()
    sheet = workbook.active
    for row in [
        ["legal_name", "country", "org_type", "registration_id"],
        ["Moldovan CSO", "MD", "association", "MD-IDNO-1003600123456"],
    ]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = imports.import_run(
        actor=manager, kind="organisations", content=buffer.getvalue(), filename="o.xlsx", dry_run=False
    )
    assert not result.has_validation_errors() and Organisation.objects.filter(country="MD").exists()
    semicolons = "legal_name;country;org_type;registration_id\nGeorgian CSO;GE;ngo;GE-NAPR-204957010\n"
    imports.import_run(
        actor=manager, kind="organisations", content=("\ufeff" + semicolons).encode(), filename="o.csv", dry_run=False
    )
    assert Organisation.objects.filter(registration_id="GE-NAPR-204957010").exists()


def test_who_may_import(manager, finance, grantee, donor_user, funded_programme, other_programme):
    content = csv_bytes(ORGS_CSV)
    for not_allowed in (finance, grantee, donor_user):
        with pytest.raises(PermissionDenied):
            imports.import_preview(actor=not_allowed, kind="organisations", content=content, filename="o.csv")
    rates = b"month,currency,rate\n2026-03,UAH,45.12\n"
    with pytest.raises(PermissionDenied):
        imports.import_preview(actor=manager, kind="exchange_rates", content=rates, filename="r.csv")
    imports.import_preview(actor=finance, kind="exchange_rates", content=rates, filename="r.csv")
    reviewers = b"email,full_name\nr@example.org,R\n"
    with pytest.raises(PermissionDenied):
        imports.import_preview(
            actor=manager, kind="reviewers", content=reviewers, filename="r.csv", programme_id=other_programme.pk
        )


def test_a_preview_token_belongs_to_its_user(manager, make_user, grant_role, funded_programme):
    other_manager = grant_role(make_user("m2@example.org"), funded_programme, ProgrammeRole.Role.MANAGER)
    token, _result = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV), filename="o.csv"
    )
    with pytest.raises(ValidationError, match="no longer available"):
        imports.import_confirm(actor=other_manager, token=token)
    with pytest.raises(ValidationError, match="no longer available"):
        imports.import_confirm(actor=manager, token="../../etc/passwd")
    assert not Organisation.objects.exists()


def test_exchange_rates_new_updated_unchanged_and_audited(finance):
    ExchangeRate.objects.create(month=date(2026, 3, 1), currency="UAH", rate=Decimal("44.000000"))
    ExchangeRate.objects.create(month=date(2026, 3, 1), currency="GEL", rate=Decimal("2.900000"))
    text = """month,currency,rate,base
2026-03,UAH,"45,1234",EUR
2026-03-01,GEL,2.9,EUR
2026-03,AMD,420.15,
2026-13,MDL,19.5,EUR
2026-03,EUR,1,EUR
2026-03,AZN,-1,EUR
"""
    token, preview = imports.import_preview(
        actor=finance, kind="exchange_rates", content=csv_bytes(text), filename="r.csv"
    )
    summary = imports.import_summary(preview)
    assert (summary["new"], summary["update"], summary["skip"], summary["invalid"]) == (1, 1, 1, 3)
    errors = {row["number"]: dict(row["messages"]) for row in imports.import_errors(preview)}
    assert set(errors) == {4, 5, 6} and "month" in errors[4] and "currency" in errors[5] and "rate" in errors[6]
    fixed = "\n".join(text.splitlines()[:4]) + "\n"
    _token, preview = imports.import_preview(
        actor=finance, kind="exchange_rates", content=csv_bytes(fixed), filename="r.csv"
    )
    result = imports.import_confirm(actor=finance, token=_token)
    assert not result.has_validation_errors()
    assert ExchangeRate.objects.get(currency="UAH").rate == Decimal("45.123400")
    assert ExchangeRate.objects.get(currency="AMD").recorded_by == finance
    event = AuditEvent.objects.get(action="exchange_rates_import")
    assert {
        "month": "2026-03",
        "base": "EUR",
        "currency": "UAH",
        "rate": "45.123400",
        "before": "44.000000",
    } in event.data["rates"]


def test_reviewers_become_users_with_a_profile_and_the_programme_role(manager, funded_programme, make_user):
    existing = make_user("known@example.org")
    text = """email,full_name,language,expertise,languages,countries
anna@example.org,Anna Hovhannisyan,hy,public procurement;open data,hy;en,AM
known@example.org,Known Person,en,audit,en,UA;MD
bad-address,Nobody,xx,,,
"""
    token, preview = imports.import_preview(
        actor=manager, kind="reviewers", content=csv_bytes(text), filename="r.csv", programme_id=funded_programme.pk
    )
    errors = {row["number"]: dict(row["messages"]) for row in imports.import_errors(preview)}
    assert set(errors) == {3} and {"email", "language"} <= set(errors[3])
    fixed = "\n".join(text.splitlines()[:3]) + "\n"
    token, preview = imports.import_preview(
        actor=manager, kind="reviewers", content=csv_bytes(fixed), filename="r.csv", programme_id=funded_programme.pk
    )
    assert imports.import_summary(preview)["new"] == 1 and imports.import_summary(preview)["update"] == 1
    imports.import_confirm(actor=manager, token=token)
    anna = User.objects.get(email="anna@example.org")
    assert not anna.has_usable_password() and anna.language == "hy"
    assert ReviewerProfile.objects.get(user=anna).expertise == ["public procurement", "open data"]
    assert ReviewerProfile.objects.get(user=existing).countries == ["UA", "MD"]
    assert set(
        ProgrammeRole.objects.filter(programme=funded_programme, role=ProgrammeRole.Role.REVIEWER).values_list(
            "user__email", flat=True
        )
    ) == {"anna@example.org", "known@example.org"}
    assert AuditEvent.objects.filter(action="reviewers_import").exists()


def test_pages_preview_then_confirm(manager, client):
    client.force_login(manager)
    url = reverse("data:import_organisations")
    assert client.get(url).status_code == 200
    bad = io.BytesIO(csv_bytes(ORGS_CSV + "Bad,UA,ngo,UA-EDR-1,\n"))
    bad.name = "orgs.csv"
    page = client.post(url, {"file": bad})
    text = page.content.decode()
    assert page.status_code == 200 and "Rows with errors" in text and "Import these rows" not in text
    good = io.BytesIO(csv_bytes(ORGS_CSV))
    good.name = "orgs.csv"
    page = client.post(url, {"file": good})
    assert "Import these rows" in page.content.decode() and "Центр протидії корупції" in page.content.decode()
    token = page.context["token"]
    response = client.post(url, {"action": "confirm", "token": token})
    assert response.status_code == 302 and Organisation.objects.count() == 3


@pytest.mark.parametrize(
    "name,user_fixture,status",
    [
        ("data:import_organisations", "finance", 404),
        ("data:import_exchange_rates", "manager", 404),
        ("data:import_exchange_rates", "finance", 200),
        ("data:import_reviewers", "manager", 200),
        ("data:import_reviewers", "grantee", 404),
    ],
)
def test_import_pages_answer_404_to_those_who_may_not_import(name, user_fixture, status, client, request):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(reverse(name)).status_code == status


def test_an_organisation_registered_between_preview_and_confirm_is_skipped(manager, make_user, make_org):
    token, preview = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV), filename="o.csv"
    )
    assert imports.import_summary(preview)["new"] == 3
    make_org(
        make_user("meanwhile@example.org"),
        country="GE",
        legal_name="Registered meanwhile",
        registration_id="GE-NAPR-204470530",
    )
    result = imports.import_confirm(actor=manager, token=token)
    assert imports.import_summary(result) == {"new": 2, "update": 0, "skip": 1, "invalid": 0, "total": 3}
    assert Organisation.objects.get(registration_id="GE-NAPR-204470530").legal_name == "Registered meanwhile"
    assert AuditEvent.objects.get(action="organisations_import").data["count"] == 2
    with pytest.raises(ValidationError):  # a token is used once
        imports.import_confirm(actor=manager, token=token)


def test_an_import_cannot_change_a_rate_a_payment_used(finance, manager, call, grantee_org, grantee):
    from grants.disbursement.models import Payment
    from tests.reporting.builders import make_grant, pay_tranche

    ExchangeRate.objects.create(month=date(2026, 3, 1), currency="UAH", rate=Decimal("44.000000"))
    tranche = pay_tranche(
        make_grant(call, grantee_org, grantee).tranches.get(position=1), manager, finance, paid_on=date(2026, 3, 10)
    )
    Payment.objects.filter(tranche=tranche).update(currency="UAH", rate_month=date(2026, 3, 1))
    text = "month,currency,rate\n2026-03,UAH,45.5\n2026-04,UAH,45.5\n"
    _token, preview = imports.import_preview(
        actor=finance, kind="exchange_rates", content=csv_bytes(text), filename="r.csv"
    )
    errors = {row["number"]: dict(row["messages"]) for row in imports.import_errors(preview)}
    assert list(errors) == [1] and "rate" in errors[1]
    assert ExchangeRate.objects.get(currency="UAH", month=date(2026, 3, 1)).rate == Decimal("44.000000")


def test_an_imported_name_loses_its_control_and_bidi_characters(manager, funded_programme):
    """A legal name or a reviewer's name with U+202E, ESC or a line break inside its cell is
    stored as the one line the reader sees."""
    orgs = '"Fund\u202eevil\x1b[0m\r\nCorp",UA,ngo,UA-EDR-35960913,\n'
    token, _preview = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV.splitlines()[0] + "\n" + orgs), filename="o.csv"
    )
    imports.import_confirm(actor=manager, token=token)
    assert Organisation.objects.get().legal_name == "Fundevil[0m Corp"
    reviewers = 'email,full_name\nr@x.org,"Rev\u2067iewer\x07 One"\n'
    token, _preview = imports.import_preview(
        actor=manager,
        kind="reviewers",
        content=csv_bytes(reviewers),
        filename="r.csv",
        programme_id=funded_programme.pk,
    )
    imports.import_confirm(actor=manager, token=token)
    assert User.objects.get(email="r@x.org").full_name == "Reviewer One"


def test_the_import_page_refuses_two_files_in_one_field(manager, client):
    client.force_login(manager)
    files = []
    for name in ("first.csv", "second.csv"):
        files.append(io.BytesIO(csv_bytes(ORGS_CSV)))
        files[-1].name = name
    page = client.post(reverse("data:import_organisations"), {"file": files})
    assert "Only one file can be uploaded here; 2 were sent" in page.content.decode()
    assert "Import these rows" not in page.content.decode() and not Organisation.objects.exists()


def test_a_preview_nobody_confirmed_is_removed_when_its_time_is_up(manager):
    """Previews are kept in the shared storage (any node may take the confirmation); the next
    preview, on whichever node, removes those older than PENDING_SECONDS."""
    from core.storage import private_storage
    from tests.conftest import stored_files

    old, _result = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV), filename="o.csv"
    )
    assert stored_files("imports") == sorted([f"{old}.data", f"{old}.json"])
    past = time.time() - imports.PENDING_SECONDS - 60
    for suffix in (".data", ".json"):
        os.utime(private_storage().path(f"imports/{old}{suffix}"), (past, past))
    new, _result = imports.import_preview(
        actor=manager, kind="organisations", content=csv_bytes(ORGS_CSV), filename="o.csv"
    )
    assert stored_files("imports") == sorted([f"{new}.data", f"{new}.json"])
    with pytest.raises(ValidationError, match="no longer available"):
        imports.import_confirm(actor=manager, token=old)
    imports.import_confirm(actor=manager, token=new)
    assert Organisation.objects.count() == 3 and stored_files("imports") == []
