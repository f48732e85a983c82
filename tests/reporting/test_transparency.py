"""The public register under /transparency/: anonymous, in every UI language, cacheable, a fixed
number of queries whatever the number of grants; grants of undecided calls stay out."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from audit.services import audit_record
from grants.calls.models import CallState
from reporting.grantee.models import Indicator, IndicatorValue
from reporting.transparency.models import Practice, PracticePhoto, PracticeState
from tests.factories import application_in_state, call_full
from tests.reporting.builders import make_grant, pay_tranche
from workers.models import Notification

pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def decided(call):
    call.decide()
    call.save()
    return call


def _grants(call, make_user, make_org, n, start=0):
    out = []
    for i in range(start, start + n):
        user = make_user(f"reg{i}@example.org")
        org = make_org(user, country="AM" if i % 2 else "UA", legal_name=f"Громадська організація {i}")
        grant = make_grant(call, org, user, amount="20000", title=f"Open budgets {i}")
        Indicator.objects.create(grant=grant, name=f"Hearings {i}", target=Decimal("4"))
        out.append(grant)
    return out


def test_register_lists_grants_of_decided_calls_only(client, decided, funded_programme, grant, make_user, make_org):
    undecided = call_full(funded_programme, code="later", state=CallState.REVIEWING)
    hidden = make_grant(undecided, make_org(make_user("u@example.org")), make_user("v@example.org"), title="Secret")
    response = client.get(reverse("transparency:grant_list"))
    page = response.content.decode()
    assert response.status_code == 200 and grant.number in page and "Відкриті закупівлі в громадах" in page
    assert "Secret" not in page
    assert client.get(reverse("transparency:grant_detail", args=[hidden.pk])).status_code == 404
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]


def test_grant_page_shows_amounts_paid_and_indicators(client, decided, grant, manager, finance):
    tranche = grant.tranches.order_by("position").first()
    pay_tranche(tranche, manager, finance)
    indicator = Indicator.objects.create(grant=grant, name="Hearings held", target=Decimal("6"))
    report = grant.reports.order_by("due_on").first()
    report.submit()
    report.approve()
    report.save()
    IndicatorValue.objects.create(report=report, indicator=indicator, actual=Decimal("2"))
    grant.refresh_from_db()
    page = client.get(reverse("transparency:grant_detail", args=[grant.pk])).content.decode()
    assert "16,000.00 EUR" in page or "16000.00 EUR" in page
    assert "Hearings held" in page and ">2.00<" in page and ">6.00<" in page
    uk = client.get(reverse("transparency:grant_detail", args=[grant.pk]), HTTP_ACCEPT_LANGUAGE="uk")
    assert uk["Content-Language"] == "uk" and 'lang="uk"' in uk.content.decode()


def test_a_withheld_recipient_is_neither_shown_nor_searchable(client, decided, grant):
    grant.withhold_recipient, grant.withhold_reason = True, "Grantee at risk"
    grant.save()
    page = client.get(reverse("transparency:grant_list")).content.decode()
    assert "withheld" in page and "Центр протидії корупції" not in page
    found = client.get(reverse("transparency:grant_list"), {"q": "Центр протидії"}).content.decode()
    assert grant.number not in found
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("transparency:grant_list_csv")).getvalue().decode("utf-8-sig")))
    )
    assert rows[1][2] == "withheld"


def test_filters_and_csv_of_what_is_listed(client, decided, funded_programme, make_user, make_org):
    _grants(decided, make_user, make_org, 4)
    armenian = client.get(reverse("transparency:grant_list"), {"country": "AM"}).content.decode()
    assert armenian.count('data-grant="') == 2
    response = client.get(reverse("transparency:grant_list_csv"), {"country": "UA", "programme": funded_programme.code})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert len(rows) == 3 and {r[3] for r in rows[1:]} == {"UA"}
    year = timezone.localdate().year
    assert client.get(reverse("transparency:grant_list"), {"year": str(year + 5)}).status_code == 200


def test_register_pages_run_a_constant_number_of_queries(client, decided, make_user, make_org):
    _grants(decided, make_user, make_org, 2)
    pages = [
        reverse("transparency:grant_list"),
        reverse("transparency:practice_list"),
        reverse("transparency:audit"),
        reverse("transparency:data"),
    ]

    def counts():
        out = []
        for url in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    small = counts()
    _grants(decided, make_user, make_org, 8, start=2)
    assert counts() == small


def test_receipt_checker_says_recorded_without_the_content(client, grantee, grantee_org, decided):
    app = application_in_state(decided, grantee_org, grantee, state="submitted")
    app.receipt_sha256 = "ab" * 32
    app.save()
    with transaction.atomic():
        audit_record(actor=grantee, action="submit", obj=app, to_state="submitted", data={"sha256": app.receipt_sha256})
    url = reverse("transparency:audit")
    response = client.get(url, {"reference": app.reference, "fingerprint": "AB" * 32})
    page = response.content.decode()
    assert f"Submission {app.reference} was recorded." in page and response["Cache-Control"] == "no-store"
    assert app.title not in page and "not signed yet" in page
    wrong = client.get(url, {"reference": app.reference, "fingerprint": "cd" * 32}).content.decode()
    assert "No submission has this reference and fingerprint" in wrong
    assert Application.objects.filter(pk=app.pk).exists()


def test_a_practice_is_written_submitted_published_and_shown(client, decided, grant, grantee, manager, outsider):
    client.force_login(grantee)
    start = reverse("transparency:grant_practices", args=[grant.pk])
    response = client.post(
        start,
        {
            "title": "Public hearings on the budget",
            "language": "uk",
            "problem": "Nobody read the budget.",
            "approach": "Monthly hearings in the library.",
            "result": "Residents changed two lines.",
            "contact": "info@example.org",
        },
    )
    practice = Practice.objects.get()
    assert response.status_code == 302 and practice.state == PracticeState.DRAFT
    photo = io.BytesIO(PNG)
    photo.name = "hearing.png"
    action = lambda name: reverse("transparency:practice_action", args=[practice.pk, name])  # noqa: E731
    client.post(action("photo"), {"photo": photo, "alt_text": "Residents at a hearing"})
    assert PracticePhoto.objects.get().alt_text == "Residents at a hearing"
    client.post(action("submit"))
    assert Notification.objects.filter(kind="practice_submitted", email=manager.email).exists()
    detail = reverse("transparency:practice_detail", args=[practice.pk])
    client.logout()
    assert client.get(detail).status_code == 404  # not yet published
    client.force_login(outsider)
    assert client.get(detail).status_code == 404
    client.force_login(grantee)
    assert client.post(action("publish")).status_code == 403  # a grantee cannot publish
    practice.refresh_from_db()
    assert practice.state == PracticeState.SUBMITTED
    client.force_login(manager)
    client.post(action("publish"))
    practice.refresh_from_db()
    assert practice.state == PracticeState.PUBLISHED
    assert Notification.objects.filter(kind="practice_published", email=grantee.email).exists()
    client.logout()
    page = client.get(reverse("transparency:practice_list")).content.decode()
    assert "Public hearings on the budget" in page and 'alt="Residents at a hearing"' in page
    assert (
        "Public hearings on the budget"
        in client.get(reverse("transparency:grant_detail", args=[grant.pk])).content.decode()
    )
    image = client.get(reverse("transparency:practice_photo", args=[PracticePhoto.objects.get().pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_open_data_files_are_listed_as_a_data_package(client, decided, grant):
    page = client.get(reverse("transparency:data")).content.decode()
    assert "Creative Commons Attribution 4.0" in page and "360Giving JSON" in page
    package = client.get(reverse("transparency:data_package")).json()
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert {r["format"] for r in package["resources"]} == {"json", "csv", "xml"}
    assert all(r["path"].startswith("http") and r["last_modified"] for r in package["resources"])


def test_manager_withholds_a_name_with_a_reason(client, decided, grant, manager, grantee):
    url = reverse("grants:grant_publication", args=[grant.pk])
    client.force_login(grantee)
    assert client.post(url, {"withhold_recipient": "on", "withhold_reason": "x"}).status_code == 403
    client.force_login(manager)
    assert b"Say why" in client.post(url, {"withhold_recipient": "on"}).content
    assert client.post(url, {"withhold_recipient": "on", "withhold_reason": "Works under threat"}).status_code == 302
    grant.refresh_from_db()
    assert grant.withhold_recipient and grant.withhold_reason == "Works under threat"
    client.logout()
    page = client.get(reverse("transparency:grant_detail", args=[grant.pk])).content.decode()
    assert "withheld" in page and "Центр протидії корупції" not in page


def test_a_grants_page_costs_the_same_with_more_indicators_and_practices(client, decided, grant, grantee, manager):
    from reporting.transparency.services import practice_publish, practice_save, practice_submit

    def add(n, start):
        for i in range(start, start + n):
            Indicator.objects.create(grant=grant, name=f"Indicator {i}", target=Decimal("3"))
            practice = practice_save(
                actor=grantee, grant_id=grant.pk, title=f"Practice {i}", problem="p", approach="a", result="r"
            )
            practice_submit(actor=grantee, practice_id=practice.pk)
            practice_publish(actor=manager, practice_id=practice.pk)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    add(1, 0)
    url = reverse("transparency:grant_detail", args=[grant.pk])
    practice_url = reverse("transparency:practice_detail", args=[Practice.objects.first().pk])
    small = (count(url), count(practice_url))
    add(5, 1)
    assert (count(url), count(practice_url)) == small
    for language in ("uk", "hy"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page["Content-Language"] == language and f'<html lang="{language}">' in page.content.decode()
