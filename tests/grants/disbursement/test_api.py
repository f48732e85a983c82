"""The API: grants, tranches, payments, amendments, exchange rates and every transition;
404 for the invisible, 403 for the wrong role, 409 for the wrong state."""

from datetime import date
from decimal import Decimal as D

import pytest
from djmoney.money import Money
from rest_framework.test import APIClient

from accounts.models import ProgrammeRole
from grants.agreements.models import Grant
from grants.calls.models import Programme
from grants.disbursement.models import ExchangeRate, Payment
from tests.grants.disbursement.helpers import signed_pdf


@pytest.fixture
def api():
    return APIClient()


def as_(api, user):
    api.force_authenticate(user)
    return api


def test_grant_has_state_and_available_transitions_per_caller(api, signed, people):
    body = as_(api, people.manager).get(f"/api/v1/grants/{signed.pk}/").json()
    assert body["state"] == "active" and sorted(body["available_transitions"]) == ["suspend", "terminate"]
    assert [t["state"] for t in body["tranches"]] == ["due", "planned", "planned"]
    assert body["tranches"][0]["available_transitions"] == ["approve"]
    assert [line["amount"] for line in body["budget_lines"]] == ["30000.00", "10000.00"]
    grantee = as_(api, people.grantee).get(f"/api/v1/grants/{signed.pk}/").json()
    assert grantee["available_transitions"] == [] and grantee["tranches"][0]["available_transitions"] == []


def test_create_sign_approve_pay_through_the_api(api, awarded, people):
    manager = as_(api, people.manager)
    response = manager.post("/api/v1/grants/", {"application": awarded.pk, "starts_on": "2026-01-01"}, format="json")
    assert response.status_code == 201, response.content
    grant_id = response.json()["id"]
    assert response.json()["available_transitions"] == ["sign"]
    response = manager.post(f"/api/v1/grants/{grant_id}/sign/", {"document": signed_pdf()}, format="multipart")
    assert response.status_code == 200 and response.json()["state"] == "active"
    tranche_id = response.json()["tranches"][0]["id"]
    response = manager.post(f"/api/v1/tranches/{tranche_id}/approve/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    # four eyes: the approver (also if a finance officer) is refused with a clear message
    assert response.json()["available_transitions"] == []
    finance = as_(api, people.finance)
    assert finance.get(f"/api/v1/tranches/{tranche_id}/").json()["available_transitions"] == ["pay"]
    ExchangeRate.objects.create(month=date.today().replace(day=1), currency="GEL", rate=D("2.9"))
    response = finance.post(
        f"/api/v1/tranches/{tranche_id}/pay/",
        {"paid_on": date.today().isoformat(), "amount": "46400.00", "currency": "GEL", "bank_reference": "TBC-1"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "paid" and body["payment"]["amount_programme_currency"] == "16000.00"
    replay = finance.post(
        f"/api/v1/tranches/{tranche_id}/pay/",
        {"paid_on": date.today().isoformat(), "amount": "46400.00", "currency": "GEL", "bank_reference": "TBC-1"},
        format="json",
    )
    assert replay.status_code == 400 and "already recorded" in replay.json()["bank_reference"][0]
    again = finance.post(
        f"/api/v1/tranches/{tranche_id}/pay/",
        {"paid_on": date.today().isoformat(), "amount": "1", "currency": "EUR", "bank_reference": "TBC-2"},
        format="json",
    )
    assert again.status_code == 409
    payments = finance.get(f"/api/v1/payments/?grant={grant_id}").json()["results"]
    assert [(p["bank_reference"], p["exchange_rate"]) for p in payments] == [("TBC-1", "2.900000")]


def test_four_eyes_refused_with_403(api, signed, people):
    tranche = signed.tranches.get(position=1)
    as_(api, people.manager2).post(f"/api/v1/tranches/{tranche.pk}/approve/", {}, format="json")
    response = api.post(
        f"/api/v1/tranches/{tranche.pk}/pay/",
        {"paid_on": date.today().isoformat(), "amount": "16000", "currency": "EUR", "bank_reference": "R-1"},
        format="json",
    )
    assert response.status_code == 403 and "four-eyes" in response.json()["detail"]
    assert not Payment.objects.exists()


def test_409_403_404(api, signed, people, make_user, grant_role):
    other = Programme.objects.create(
        code="oth", title="Other", budget=Money(D("1000"), "EUR"), starts_on=date(2024, 1, 1), ends_on=date(2027, 1, 1)
    )
    stranger = grant_role(make_user("stranger@example.org"), other, ProgrammeRole.Role.DONOR)
    tranche = signed.tranches.get(position=1)
    # 404: a donor of another programme sees nothing of it
    for url in (f"/api/v1/grants/{signed.pk}/", f"/api/v1/tranches/{tranche.pk}/"):
        assert as_(api, stranger).get(url).status_code == 404
    assert (
        as_(api, stranger).post(f"/api/v1/grants/{signed.pk}/suspend/", {"reason": "x"}, format="json").status_code
        == 404
    )
    assert as_(api, stranger).get("/api/v1/grants/").json()["results"] == []
    # 403: the programme's donor sees it but may not act
    assert as_(api, people.donor).get(f"/api/v1/grants/{signed.pk}/").status_code == 200
    assert as_(api, people.donor).post(f"/api/v1/grants/{signed.pk}/suspend/", {}, format="json").status_code == 403
    assert as_(api, people.donor).post(f"/api/v1/tranches/{tranche.pk}/approve/", {}, format="json").status_code == 403
    assert as_(api, people.grantee).post(f"/api/v1/tranches/{tranche.pk}/pay/", {}, format="json").status_code == 403
    # 409: the state forbids it
    manager = as_(api, people.manager)
    assert manager.post(f"/api/v1/grants/{signed.pk}/resume/", {}, format="json").status_code == 409
    assert (
        manager.post(f"/api/v1/grants/{signed.pk}/sign/", {"document": signed_pdf()}, format="multipart").status_code
        == 409
    )
    assert (
        manager.post(f"/api/v1/tranches/{signed.tranches.get(position=2).pk}/approve/", {}, format="json").status_code
        == 409
    )
    # 400: a reason is required to suspend
    response = manager.post(f"/api/v1/grants/{signed.pk}/suspend/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert manager.post(f"/api/v1/grants/{signed.pk}/suspend/", {"reason": "Audit"}, format="json").json()[
        "available_transitions"
    ] == ["resume", "terminate"]


def test_budget_change_and_amendment_through_the_api(api, signed, people):
    staff, travel = signed.budget_lines.order_by("position")
    grantee = as_(api, people.grantee)
    small = grantee.post(
        f"/api/v1/grants/{signed.pk}/budget/",
        {"lines": [{"id": staff.pk, "amount": "28000"}, {"id": travel.pk, "amount": "12000"}]},
        format="json",
    )
    assert small.status_code == 200 and small.json()["amendment"] is None
    big = grantee.post(
        f"/api/v1/grants/{signed.pk}/budget/",
        {"reason": "New office", "lines": [{"id": staff.pk, "amount": "20000"}, {"id": travel.pk, "amount": "20000"}]},
        format="json",
    )
    amendment = big.json()["amendment"]
    assert big.status_code == 200 and amendment["version"] == 2 and amendment["state"] == "proposed"
    assert amendment["available_transitions"] == []
    assert as_(api, people.grantee).post(f"/api/v1/amendments/{amendment['id']}/approve/").status_code == 403
    manager = as_(api, people.manager)
    assert manager.get(f"/api/v1/amendments/{amendment['id']}/").json()["available_transitions"] == [
        "approve",
        "reject",
    ]
    assert (
        manager.post(f"/api/v1/amendments/{amendment['id']}/approve/", {}, format="json").json()["state"] == "approved"
    )
    assert (
        manager.post(f"/api/v1/amendments/{amendment['id']}/reject/", {"reason": "x"}, format="json").status_code == 409
    )
    versions = as_(api, people.grantee).get(f"/api/v1/amendments/?grant={signed.pk}").json()["results"]
    assert [(v["version"], v["state"]) for v in versions] == [(1, "approved"), (2, "approved")]


def test_exchange_rates_api(api, people):
    finance = as_(api, people.finance)
    response = finance.post(
        "/api/v1/exchange-rates/", {"month": "2026-03-15", "currency": "AMD", "rate": "420.5"}, format="json"
    )
    assert response.status_code == 201 and response.json()["month"] == "2026-03-01"
    assert [r["currency"] for r in finance.get("/api/v1/exchange-rates/").json()["results"]] == ["AMD"]
    assert (
        as_(api, people.donor)
        .post("/api/v1/exchange-rates/", {"month": "2026-03-01", "currency": "UAH", "rate": "44"}, format="json")
        .status_code
        == 403
    )
    assert as_(api, people.grantee).get("/api/v1/exchange-rates/").status_code == 403
    bad = as_(api, people.finance).post(
        "/api/v1/exchange-rates/", {"month": "2026-03-01", "currency": "EUR", "rate": "1"}, format="json"
    )
    assert bad.status_code == 400


def test_grant_list_has_constant_queries(api, programme, people, make_org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.grants.disbursement.test_views import build_portfolio

    client = as_(api, people.finance)
    build_portfolio(programme, people, make_org, 2, "a")
    client.get("/api/v1/grants/")
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/grants/").json()["results"]) == 2
    build_portfolio(programme, people, make_org, 8, "b")
    client.get("/api/v1/grants/")  # the count is kept until the next audited change: compare reuse with reuse
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/grants/").json()["results"]) == 10
    assert len(large.captured_queries) == len(small.captured_queries)
    assert Grant.objects.count() == 10


def test_signing_with_two_documents_in_one_field_is_refused_not_cut_to_the_last(api, awarded, people):
    manager = as_(api, people.manager)
    grant_id = manager.post("/api/v1/grants/", {"application": awarded.pk}, format="json").json()["id"]
    response = manager.post(
        f"/api/v1/grants/{grant_id}/sign/",
        {"document": [signed_pdf("draft.pdf"), signed_pdf("final.pdf")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "Only one file can be uploaded here; 2 were sent" in " ".join(response.json()["document"])
    assert Grant.objects.get(pk=grant_id).state == "draft" and not Grant.objects.get(pk=grant_id).signed_document
