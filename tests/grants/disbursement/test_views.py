"""Pages: who sees what (404 for the invisible), the agreement's life through the forms, the
finance page and dashboard section in a constant number of queries."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from accounts.models import ProgrammeRole
from grants.agreements.models import Grant, GrantState
from grants.calls.models import Programme
from grants.disbursement import lifecycle as disbursement_lifecycle
from grants.disbursement import services as disbursement_services
from grants.disbursement.models import ExchangeRate, Payment, TrancheState
from tests.factories import call_full
from tests.grants.disbursement.helpers import award, signed_pdf


@pytest.fixture
def other_programme(db):
    return Programme.objects.create(
        code="other",
        title="Other programme",
        budget=Money(D("1000000"), "EUR"),
        starts_on=date(2024, 1, 1),
        ends_on=date(2027, 1, 1),
        countries=["GE"],
    )


def get(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args))


# --- Who sees a grant ------------------------------------------------------------------------


def test_grantee_sees_agreement_schedule_due_and_paid(client, approved_first, people):
    disbursement_services.payment_record(
        actor=people.finance,
        tranche_id=approved_first.pk,
        paid_on=date.today(),
        amount=D("16000"),
        currency="EUR",
        bank_reference="UA-0001",
    )
    response = get(client, people.grantee, "grants:grant_detail", approved_first.grant_id)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tranche schedule" in html and "16,000.00" in html and "UA-0001" in html
    assert "Download the signed agreement" in html
    assert "Record the payment" not in html and "Approve tranche" not in html  # no money actions for the grantee
    assert get(client, people.grantee, "grants:grant_document", approved_first.grant_id).status_code == 200


def test_donor_sees_its_programme_only(client, signed, people, other_programme, make_user, grant_role):
    assert get(client, people.donor, "grants:grant_detail", signed.pk).status_code == 200
    stranger_donor = grant_role(make_user("otherdonor@example.org"), other_programme, ProgrammeRole.Role.DONOR)
    for name in (
        "grants:grant_detail",
        "grants:grant_document",
        "grants:grant_edit",
        "grants:grant_sign",
        "grants:grant_budget_change",
    ):
        assert get(client, stranger_donor, name, signed.pk).status_code == 404, name
    assert signed.number not in get(client, stranger_donor, "grants:grant_list").content.decode()
    tranche = signed.tranches.get(position=1)
    assert get(client, stranger_donor, "grants:payment_create", tranche.pk).status_code == 404
    finance_html = get(client, stranger_donor, "grants:finance_overview").content.decode()
    assert "EU for Integrity" not in finance_html and "Other programme" in finance_html


def test_member_of_another_organisation_and_a_reviewer_get_404(
    client, signed, people, make_org, make_user, grant_role, programme
):
    other_member = make_user("other-org@example.org")
    make_org(other_member, country="GE")
    reviewer = grant_role(make_user("reviewer@example.org"), programme, ProgrammeRole.Role.REVIEWER)
    for user in (other_member, reviewer, people.outsider):
        assert get(client, user, "grants:grant_detail", signed.pk).status_code == 404
        assert get(client, user, "grants:grant_document", signed.pk).status_code == 404
    client.logout()
    assert client.get(reverse("grants:grant_detail", args=[signed.pk])).status_code == 302  # to the login page


def test_wrong_role_gets_403_on_actions(client, signed, people):
    client.force_login(people.grantee)
    assert client.post(reverse("grants:grant_suspend", args=[signed.pk]), {"reason": "x"}).status_code == 403
    tranche = signed.tranches.get(position=1)
    assert client.post(reverse("grants:tranche_approve", args=[tranche.pk])).status_code == 403
    assert client.get(reverse("grants:payment_create", args=[tranche.pk])).status_code == 403
    client.force_login(people.donor)
    assert client.get(reverse("grants:exchange_rates")).status_code == 200
    assert (
        client.post(reverse("grants:exchange_rates"), {"month": "2026-03", "currency": "UAH", "rate": "44"}).status_code
        == 403
    )


# --- The agreement's life through the pages --------------------------------------------------


def test_manager_prepares_edits_and_signs_then_finance_pays(client, awarded, people, private_storage):
    client.force_login(people.manager)
    listing = client.get(reverse("grants:grant_list")).content.decode()
    assert "Awarded, no agreement yet" in listing and reverse("grants:grant_create", args=[awarded.pk]) in listing
    response = client.post(
        reverse("grants:grant_create", args=[awarded.pk]), {"starts_on": "2026-02-01", "ends_on": ""}
    )
    grant = Grant.objects.get(application=awarded)
    assert response.status_code == 302 and response.url == reverse("grants:grant_detail", args=[grant.pk])
    assert grant.ends_on == date(2027, 1, 31)
    staff, travel = grant.budget_lines.order_by("position")
    bad = client.post(
        reverse("grants:grant_edit", args=[grant.pk]),
        {
            "terms-title": "Open budgets",
            "terms-starts_on": "2026-02-01",
            "terms-ends_on": "2027-01-31",
            f"budget-line_{staff.pk}": "30000",
            f"budget-line_{travel.pk}": "9000",
        },
    )
    assert bad.status_code == 200 and "must equal the amount awarded" in bad.content.decode()
    client.post(
        reverse("grants:grant_edit", args=[grant.pk]),
        {
            "terms-title": "Open budgets",
            "terms-starts_on": "2026-02-01",
            "terms-ends_on": "2027-01-31",
            f"budget-line_{staff.pk}": "28000",
            f"budget-line_{travel.pk}": "12000",
        },
    )
    grant.refresh_from_db()
    assert grant.title == "Open budgets" and grant.budget_lines.get(pk=travel.pk).amount == D("12000")
    not_pdf = client.post(
        reverse("grants:grant_sign", args=[grant.pk]),
        {"document": signed_pdf().__class__("x.pdf", b"<html>", content_type="application/pdf")},
    )
    assert "must be a PDF" in not_pdf.content.decode()
    response = client.post(reverse("grants:grant_sign", args=[grant.pk]), {"document": signed_pdf()})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    first = grant.tranches.get(position=1)
    assert first.state == TrancheState.DUE
    client.post(reverse("grants:tranche_approve", args=[first.pk]))
    first.refresh_from_db()
    assert first.state == TrancheState.APPROVED and first.approved_by == people.manager

    client.force_login(people.finance)
    ExchangeRate.objects.create(month=date.today().replace(day=1), currency="UAH", rate=D("40"))
    form = client.get(reverse("grants:payment_create", args=[first.pk]))
    assert form.status_code == 200 and "16,000.00" in form.content.decode()
    response = client.post(
        reverse("grants:payment_create", args=[first.pk]),
        {"paid_on": date.today().isoformat(), "amount": "640000.00", "currency": "UAH", "bank_reference": "PB-77"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount_programme_currency, payment.exchange_rate) == (D("16000.00"), D("40"))
    replay = client.post(
        reverse("grants:payment_create", args=[first.pk]),
        {"paid_on": date.today().isoformat(), "amount": "640000.00", "currency": "UAH", "bank_reference": "PB-77"},
    )
    assert "already recorded" in replay.content.decode()
    assert Payment.objects.count() == 1


def test_the_approver_is_told_about_four_eyes(client, signed, people):
    tranche = signed.tranches.get(position=1)
    disbursement_services.tranche_approve(actor=people.manager2, tranche_id=tranche.pk)
    client.force_login(people.manager2)
    page = client.get(reverse("grants:grant_detail", args=[signed.pk])).content.decode()
    assert reverse("grants:payment_create", args=[tranche.pk]) not in page
    form = client.get(reverse("grants:payment_create", args=[tranche.pk])).content.decode()
    assert "four-eyes" in form
    response = client.post(
        reverse("grants:payment_create", args=[tranche.pk]),
        {"paid_on": date.today().isoformat(), "amount": "16000", "currency": "EUR", "bank_reference": "X-1"},
    )
    assert "four-eyes" in response.content.decode() and not Payment.objects.exists()


def test_budget_change_page_makes_an_amendment_the_manager_approves(client, signed, people):
    staff, travel = signed.budget_lines.order_by("position")
    client.force_login(people.grantee)
    response = client.post(
        reverse("grants:grant_budget_change", args=[signed.pk]),
        {f"line_{staff.pk}": "25000", f"line_{travel.pk}": "15000", "reason": "Regional events"},
    )
    assert response.status_code == 302
    detail = client.get(reverse("grants:grant_detail", args=[signed.pk])).content.decode()
    assert "Version 2" in detail and "Proposed" in detail and "Approve the amendment" not in detail
    client.force_login(people.manager)
    amendment = signed.amendments.get(version=2)
    assert "Approve the amendment" in client.get(reverse("grants:grant_detail", args=[signed.pk])).content.decode()
    client.post(reverse("grants:amendment_approve", args=[amendment.pk]))
    assert signed.budget_lines.get(pk=travel.pk).amount == D("15000")


def test_suspend_needs_a_reason_and_close_says_what_is_missing(client, signed, people):
    client.force_login(people.manager)
    client.post(reverse("grants:grant_suspend", args=[signed.pk]), {"reason": ""}, follow=True)
    assert Grant.objects.get(pk=signed.pk).state == GrantState.ACTIVE
    page = client.post(reverse("grants:grant_close", args=[signed.pk]), {}, follow=True).content.decode()
    assert "final report is not approved" in page
    client.post(reverse("grants:grant_suspend", args=[signed.pk]), {"reason": "Audit"})
    assert Grant.objects.get(pk=signed.pk).state == GrantState.SUSPENDED


def test_exchange_rate_page_records_a_rate(client, people):
    client.force_login(people.finance)
    response = client.post(reverse("grants:exchange_rates"), {"month": "2026-03", "currency": "AMD", "rate": "420.5"})
    assert response.status_code == 302
    assert ExchangeRate.objects.get(month=date(2026, 3, 1), currency="AMD").rate == D("420.5")
    assert "420.5" in client.get(reverse("grants:exchange_rates")).content.decode()


# --- Constant queries ------------------------------------------------------------------------


def build_portfolio(programme, people, make_org, n, code):
    """n signed grants in a new call, the first tranche of each paid (half of them in UAH)."""
    call = call_full(programme, code=code, envelope="1000000", max_grant=D("60000"))
    ExchangeRate.objects.get_or_create(month=date.today().replace(day=1), currency="UAH", defaults={"rate": D("40")})
    for i in range(n):
        org = make_org(people.grantee, country=["UA", "AM", "GE"][i % 3])
        app = award(call, org, people.grantee)
        grant = disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=app.pk)
        grant = disbursement_lifecycle.grant_sign(actor=people.manager, grant_id=grant.pk, document=signed_pdf())
        tranche = disbursement_services.tranche_approve(
            actor=people.manager, tranche_id=grant.tranches.get(position=1).pk
        )
        if i % 2:
            disbursement_services.payment_record(
                actor=people.finance,
                tranche_id=tranche.pk,
                paid_on=date.today(),
                amount=D("640000"),
                currency="UAH",
                bank_reference=f"{code}-{i}",
            )


def queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_finance_page_and_dashboard_section_run_constant_queries(client, programme, people, make_org):
    from grants.disbursement.dashboard import finance_section

    build_portfolio(programme, people, make_org, 2, "small")
    client.force_login(people.finance)
    url = reverse("grants:finance_overview")
    client.get(url)  # warm up (session, content types)
    small_page = queries(lambda: client.get(url))
    small_section = queries(lambda: finance_section(people.finance))
    small_list = queries(lambda: client.get(reverse("grants:grant_list")))
    build_portfolio(programme, people, make_org, 12, "large")
    html = client.get(url).content.decode()
    assert "Payments by paid currency" in html and "Ukraine" in html
    assert queries(lambda: client.get(url)) == small_page
    assert queries(lambda: finance_section(people.finance)) == small_section
    assert queries(lambda: client.get(reverse("grants:grant_list"))) == small_list


def test_finance_figures(programme, people, make_org):
    from grants.disbursement.selectors import finance_overview, tranches_waiting

    build_portfolio(programme, people, make_org, 4, "fig")
    overview = finance_overview(people.finance)["programmes"][0]
    call = overview["calls"][0]
    # 4 grants of 40,000: committed 160,000; tranches 1 of grants 2 and 4 paid (16,000 each)
    assert (call["awarded_total"], call["in_agreements"], call["disbursed"], call["to_disburse"]) == (
        D("160000"),
        D("160000"),
        D("32000"),
        D("128000"),
    )
    assert overview["uncommitted"] == D("2500000") - D("160000")
    by_country = {
        (r["organisation__country"], r["currency"]): (r["grants"], r["disbursed"]) for r in overview["countries"]
    }
    assert by_country == {("UA", "EUR"): (2, D("16000")), ("AM", "EUR"): (1, D("16000")), ("GE", "EUR"): (1, D("0"))}
    assert [(r["currency"], r["paid"], r["converted"]) for r in overview["paid_currencies"]] == [
        ("UAH", D("1280000"), D("32000"))
    ]
    waiting = tranches_waiting(people.finance)
    assert (waiting["counts"]["due"], waiting["counts"]["approved"], waiting["counts"]["overdue"]) == (0, 2, 0)
    assert tranches_waiting(people.grantee)["counts"]["approved"] == 0
