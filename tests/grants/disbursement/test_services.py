"""Grant agreements, signature, the state machine, amendments, tranche conditions and payments,
through the services only."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.agreements import services as agreements_services
from grants.agreements.models import Amendment, Grant, GrantState
from grants.calls.models import TranchePlanItem
from grants.disbursement import lifecycle as disbursement_lifecycle
from grants.disbursement import services as disbursement_services
from grants.disbursement.models import ExchangeRate, Payment, TrancheState
from reporting.grantee.models import ReportKind
from tests.grants.disbursement.helpers import award, report_approve, signed_pdf
from workers.models import Notification

TODAY = timezone.localdate()


def tranche(grant, position):
    return grant.tranches.get(position=position)


def pay(actor, tranche_obj, amount=None, currency="EUR", ref=None, paid_on=None):
    return disbursement_services.payment_record(
        actor=actor,
        tranche_id=tranche_obj.pk,
        paid_on=paid_on or TODAY,
        amount=amount if amount is not None else tranche_obj.due_amount,
        currency=currency,
        bank_reference=ref or f"REF-{tranche_obj.pk}",
    )


# --- Creating the agreement ------------------------------------------------------------------


def test_grant_from_awarded_application(grant, awarded, call, org):
    year = timezone.localdate().year
    assert grant.number == f"EU4I-{year}-UA-001"
    assert (grant.amount_awarded, grant.currency, grant.state) == (D("40000"), "EUR", GrantState.DRAFT)
    assert (grant.starts_on, grant.ends_on) == (date(2026, 1, 1), date(2026, 12, 31))  # 12 months asked
    assert [(l.heading.name, l.amount) for l in grant.budget_lines.order_by("position")] == [
        ("Staff", D("30000.00")),
        ("Travel", D("10000.00")),
    ]
    assert [(t.position, t.share_pct, t.condition, t.planned_amount, t.state) for t in grant.tranches.all()] == [
        (1, D("40"), "signature", D("16000.00"), "planned"),
        (2, D("40"), "interim_report", D("16000.00"), "planned"),
        (3, D("20"), "final_report", D("8000.00"), "planned"),
    ]
    assert AuditEvent.objects.filter(action="grant_create", object_id=str(grant.pk)).exists()


def test_grant_numbers_count_per_programme_year_and_country(call, org, people, make_org):
    other_ua = make_org(people.grantee, country="UA")
    am = make_org(people.grantee, country="AM")
    numbers = []
    for organisation in (org, other_ua, am, org):
        app = award(call, organisation, people.grantee, amount="20000")
        numbers.append(
            disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=app.pk).number
        )
    year = timezone.localdate().year
    assert numbers == [f"EU4I-{year}-UA-001", f"EU4I-{year}-UA-002", f"EU4I-{year}-AM-001", f"EU4I-{year}-UA-003"]


def test_reduced_award_scales_the_budget_and_the_plan(call, org, people):
    app = award(call, org, people.grantee, amount="33333.33")
    grant = disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=app.pk)
    # 30,000 / 40,000 × 33,333.33 = 24,999.9975 → 25,000.00; travel takes the rest: 8,333.33
    assert [l.amount for l in grant.budget_lines.order_by("position")] == [D("25000.00"), D("8333.33")]
    assert [t.planned_amount for t in grant.tranches.all()] == [D("13333.33"), D("13333.33"), D("6666.67")]


def test_a_plan_over_90_percent_prefinancing_is_refused(call, org, people):
    TranchePlanItem.objects.filter(call=call, position=1).update(share_pct=D("55"))
    TranchePlanItem.objects.filter(call=call, position=3).update(share_pct=D("5"))
    app = award(call, org, people.grantee)
    with pytest.raises(ValidationError) as exc:
        disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=app.pk)
    assert "95" in " ".join(exc.value.messages)
    assert not Grant.objects.exists()


def test_only_awarded_applications_and_only_once(awarded, grant, people, call, org):
    from applications.models import ApplicationState
    from tests.factories import application_in_state

    with pytest.raises(TransitionRefused):
        disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=awarded.pk)
    reviewed = application_in_state(call, org, people.grantee, ApplicationState.REVIEWED)
    with pytest.raises(TransitionRefused):
        disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=reviewed.pk)


def test_only_a_manager_makes_agreements(awarded, people):
    for actor in (people.finance, people.donor, people.grantee):
        with pytest.raises(PermissionDenied):
            disbursement_lifecycle.grant_create_from_application(actor=actor, application_id=awarded.pk)


def test_duration_never_beyond_the_call(awarded, people):
    with pytest.raises(ValidationError) as exc:
        disbursement_lifecycle.grant_create_from_application(
            actor=people.manager, application_id=awarded.pk, starts_on=date(2026, 1, 1), ends_on=date(2027, 7, 1)
        )  # call allows 18 months: ends by 2027-06-30
    assert "2027-06-30" in " ".join(exc.value.messages)


def test_budget_is_editable_before_signature_and_must_add_up(grant, people):
    lines = list(grant.budget_lines.order_by("position"))
    with pytest.raises(ValidationError):
        agreements_services.grant_budget_update(
            actor=people.manager, grant_id=grant.pk, amounts={lines[0].pk: D("31000")}
        )
    agreements_services.grant_budget_update(
        actor=people.manager, grant_id=grant.pk, amounts={lines[0].pk: D("20000"), lines[1].pk: D("20000")}
    )
    assert [l.amount for l in grant.budget_lines.order_by("position")] == [D("20000"), D("20000")]
    with pytest.raises(PermissionDenied):
        agreements_services.grant_budget_update(actor=people.grantee, grant_id=grant.pk, amounts={})


# --- Signature and the grant's states --------------------------------------------------------


def test_signing_stores_the_pdf_and_makes_the_first_tranche_due(signed, private_storage):
    assert signed.state == GrantState.ACTIVE and signed.signed_at is not None
    stored = private_storage / signed.signed_document
    assert stored.read_bytes().startswith(b"%PDF-") and "agreement-signed" not in signed.signed_document
    first = tranche(signed, 1)
    assert (first.state, first.due_amount, first.due_on) == (
        TrancheState.DUE,
        D("16000.00"),
        TODAY + timedelta(days=30),
    )
    assert tranche(signed, 2).state == TrancheState.PLANNED
    version = Amendment.objects.get(grant=signed)
    assert (version.version, version.state, [l["amount"] for l in version.lines]) == (
        1,
        "approved",
        ["30000.00", "10000.00"],
    )
    assert Notification.objects.filter(kind="grant_signed", email="grantee@example.org").exists()
    assert Notification.objects.filter(kind="tranche_due", email="manager@example.org").exists()


def test_signing_refuses_a_file_that_is_not_a_pdf(grant, people, private_storage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):
        disbursement_lifecycle.grant_sign(
            actor=people.manager,
            grant_id=grant.pk,
            document=SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"),
        )
    assert Grant.objects.get(pk=grant.pk).state == GrantState.DRAFT
    assert not list((private_storage / "agreements").glob("*")) if (private_storage / "agreements").exists() else True


def test_signing_twice_is_refused_and_leaves_no_file(signed, people, private_storage):
    with pytest.raises(TransitionRefused):
        disbursement_lifecycle.grant_sign(actor=people.manager, grant_id=signed.pk, document=signed_pdf())
    assert len(list((private_storage / "agreements").glob("*.pdf"))) == 1


def test_suspend_resume_terminate(signed, people):
    with pytest.raises(ValidationError):
        disbursement_lifecycle.grant_suspend(actor=people.manager, grant_id=signed.pk, reason=" ")
    disbursement_lifecycle.grant_suspend(actor=people.manager, grant_id=signed.pk, reason="Audit findings")
    with pytest.raises(TransitionRefused):
        disbursement_services.tranche_approve(actor=people.manager, tranche_id=tranche(signed, 1).pk)
    disbursement_lifecycle.grant_resume(actor=people.manager, grant_id=signed.pk)
    disbursement_services.tranche_approve(actor=people.manager, tranche_id=tranche(signed, 1).pk)
    grant = disbursement_lifecycle.grant_terminate(
        actor=people.manager, grant_id=signed.pk, reason="Organisation dissolved"
    )
    assert grant.state == GrantState.TERMINATED
    states = [t.state for t in grant.tranches.order_by("position")]
    assert states == [TrancheState.APPROVED, TrancheState.CANCELLED, TrancheState.CANCELLED]
    # an approved tranche of a terminated grant may still be settled
    pay(people.finance, tranche(grant, 1))
    assert Grant.objects.get(pk=grant.pk).paid_total == D("16000.00")


def test_only_managers_run_grant_transitions(signed, people):
    for actor in (people.finance, people.donor, people.grantee, people.outsider):
        with pytest.raises(PermissionDenied):
            disbursement_lifecycle.grant_suspend(actor=actor, grant_id=signed.pk, reason="x")


# --- Payments --------------------------------------------------------------------------------


def test_payment_in_grant_currency(approved_first, people):
    payment = pay(people.finance, approved_first, ref="UA-BANK-0001")
    grant = Grant.objects.get(pk=approved_first.grant_id)
    assert grant.paid_total == D("16000.00")
    assert (payment.exchange_rate, payment.rate_month, payment.amount_programme_currency) == (1, None, D("16000.00"))
    assert tranche(grant, 1).state == TrancheState.PAID
    event = AuditEvent.objects.get(action="payment_record")
    assert event.data["amount"] == "16000.00" and event.data["bank_reference"] == "UA-BANK-0001"
    assert AuditEvent.objects.filter(action="pay", object_type="grants.tranche").exists()
    assert Notification.objects.filter(kind="payment_recorded", email="grantee@example.org").exists()


def test_payment_in_hryvnia_uses_the_month_rate(approved_first, people):
    ExchangeRate.objects.create(month=TODAY.replace(day=1), currency="UAH", rate=D("44.951200"))
    # 16,000 EUR = 719,219.20 UAH at 44.9512; the bank sent 719,000.00 UAH → 15,995.1236… → 15,995.12 EUR
    payment = pay(people.finance, approved_first, amount=D("719000.00"), currency="UAH")
    assert (payment.exchange_rate, payment.rate_month, payment.amount_programme_currency) == (
        D("44.951200"),
        TODAY.replace(day=1),
        D("15995.12"),
    )
    assert Grant.objects.get(pk=approved_first.grant_id).paid_total == payment.amount_programme_currency


def test_payment_without_a_rate_says_what_is_missing(approved_first, people):
    with pytest.raises(ValidationError) as exc:
        pay(people.finance, approved_first, amount=D("700000"), currency="AMD")
    assert "AMD" in " ".join(exc.value.messages)


def test_four_eyes_the_approver_cannot_pay(signed, people):
    # manager2 is both manager and finance officer of the programme
    approved = disbursement_services.tranche_approve(actor=people.manager2, tranche_id=tranche(signed, 1).pk)
    with pytest.raises(PermissionDenied) as exc:
        pay(people.manager2, approved)
    assert "four-eyes" in str(exc.value)
    assert Grant.objects.get(pk=signed.pk).paid_total == 0 and not Payment.objects.exists()
    pay(people.finance, approved)


def test_managers_approve_and_finance_pays(signed, people):
    with pytest.raises(PermissionDenied):
        disbursement_services.tranche_approve(actor=people.finance, tranche_id=tranche(signed, 1).pk)
    approved = disbursement_services.tranche_approve(actor=people.manager, tranche_id=tranche(signed, 1).pk)
    for actor in (people.manager, people.donor, people.grantee):
        with pytest.raises(PermissionDenied):
            pay(actor, approved)


def test_replayed_payment_is_refused_with_a_clear_message(approved_first, people):
    pay(people.finance, approved_first, ref="UA-BANK-0042")
    with pytest.raises(ValidationError) as exc:
        pay(people.finance2, approved_first, ref="UA-BANK-0042")
    assert "already recorded" in " ".join(exc.value.messages)
    with pytest.raises(TransitionRefused):
        pay(people.finance2, approved_first, ref="UA-BANK-0043")
    assert Payment.objects.count() == 1 and Grant.objects.get(pk=approved_first.grant_id).paid_total == D("16000")


def test_payment_above_the_tranche_or_the_award_is_refused(approved_first, people):
    with pytest.raises(ValidationError) as exc:
        pay(people.finance, approved_first, amount=D("16000.01"))
    assert "16000.00" in " ".join(exc.value.messages)


def test_database_refuses_paid_above_awarded(signed):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.filter(pk=signed.pk).update(paid_total=D("40000.01"))


def test_only_approved_tranches_are_paid(signed, people):
    with pytest.raises(TransitionRefused):
        pay(people.finance, tranche(signed, 1), amount=D("1"))


# --- Tranche conditions: the 70% rule and the balance ----------------------------------------


def paid_first(approved_first, people):
    pay(people.finance, approved_first)
    return Grant.objects.get(pk=approved_first.grant_id)


def test_interim_tranche_in_full_after_70_percent_spent(approved_first, people):
    grant = paid_first(approved_first, people)
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="11200")  # 70% of 16,000
    made = disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    assert [(t.position, t.due_amount) for t in made] == [(2, D("16000.00"))]
    assert "in full" in tranche(grant, 2).due_reason


def test_interim_tranche_reduced_and_the_page_says_why(approved_first, people):
    grant = paid_first(approved_first, people)
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="10000", ineligible="800")  # eligible 9,200
    disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    second = tranche(grant, 2)
    # required 11,200, spent 9,200 → 2,000 short → 16,000 − 2,000 = 14,000
    assert (second.state, second.due_amount) == (TrancheState.DUE, D("14000.00"))
    assert "2000.00" in second.due_reason and "9200.00" in second.due_reason


def test_interim_waits_for_the_report_and_for_the_first_payment(approved_first, people):
    grant = Grant.objects.get(pk=approved_first.grant_id)
    assert disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager) == []
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="12000")
    assert (
        disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager) == []
    )  # first tranche unpaid
    pay(people.finance, approved_first)  # the payment re-evaluates: the interim tranche is now due
    assert tranche(grant, 2).state == TrancheState.DUE


def test_balance_capped_and_close(approved_first, people):
    grant = paid_first(approved_first, people)
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="12000")
    disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    pay(people.finance, disbursement_services.tranche_approve(actor=people.manager, tranche_id=tranche(grant, 2).pk))
    with pytest.raises(ValidationError) as exc:
        disbursement_lifecycle.grant_close(actor=people.manager, grant_id=grant.pk)
    assert "final report" in " ".join(exc.value.messages)
    report_approve(grant, people.manager, ReportKind.FINAL, spent="24500")  # eligible 36,500 in all
    disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    balance = tranche(grant, 3)
    # paid 32,000; cap 36,500 − 32,000 = 4,500 < 8,000 left
    assert (balance.state, balance.due_amount) == (TrancheState.DUE, D("4500.00"))
    pay(people.finance, disbursement_services.tranche_approve(actor=people.manager, tranche_id=balance.pk))
    closed = disbursement_lifecycle.grant_close(actor=people.manager, grant_id=grant.pk)
    assert closed.state == GrantState.CLOSED and closed.paid_total == D("36500.00")


def test_balance_of_nothing_is_cancelled_and_the_grant_closes(approved_first, people):
    grant = paid_first(approved_first, people)
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="11200")
    disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    pay(people.finance, disbursement_services.tranche_approve(actor=people.manager, tranche_id=tranche(grant, 2).pk))
    report_approve(grant, people.manager, ReportKind.FINAL, spent="15000")  # eligible 26,200 < 32,000 paid
    assert disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager) == []
    balance = tranche(grant, 3)
    assert balance.state == TrancheState.CANCELLED and "5800.00" in balance.due_reason
    assert disbursement_lifecycle.grant_close(actor=people.manager, grant_id=grant.pk).state == GrantState.CLOSED


def test_interim_reduced_to_nothing_is_cancelled_then_recovered_by_the_balance(approved_first, people):
    grant = paid_first(approved_first, people)
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="0")  # shortfall 11,200 → 16,000 − 11,200 = 4,800
    disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    assert tranche(grant, 2).due_amount == D("4800.00")
    pay(people.finance, disbursement_services.tranche_approve(actor=people.manager, tranche_id=tranche(grant, 2).pk))
    report_approve(grant, people.manager, ReportKind.FINAL, spent="40000")
    disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager)
    # left of the award: 40,000 − 20,800 = 19,200, more than the planned 8,000; eligible covers it
    assert tranche(grant, 3).due_amount == D("19200.00")


def test_conditions_wait_while_suspended(approved_first, people):
    grant = paid_first(approved_first, people)
    disbursement_lifecycle.grant_suspend(actor=people.manager, grant_id=grant.pk, reason="Check")
    report_approve(grant, people.manager, ReportKind.INTERIM, spent="12000")
    assert disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=people.manager) == []
    disbursement_lifecycle.grant_resume(actor=people.manager, grant_id=grant.pk)
    assert tranche(grant, 2).state == TrancheState.DUE


# --- Budget flexibility and amendments -------------------------------------------------------


def lines_of(grant):
    return list(grant.budget_lines.order_by("position"))


def test_small_move_applies_at_once_and_is_audited(signed, people):
    staff, travel = lines_of(signed)
    result = agreements_services.grant_budget_change(
        actor=people.grantee,
        grant_id=signed.pk,
        reason="More trips",
        amounts={staff.pk: D("27500"), travel.pk: D("12500")},
    )  # travel +25% exactly
    assert result.applied and result.amendment is None
    assert [l.amount for l in lines_of(signed)] == [D("27500"), D("12500")]
    assert AuditEvent.objects.filter(action="budget_change", object_id=str(signed.pk)).exists()


def test_cumulative_moves_beyond_the_limit_need_an_amendment(signed, people):
    staff, travel = lines_of(signed)
    agreements_services.grant_budget_change(
        actor=people.grantee, grant_id=signed.pk, amounts={staff.pk: D("28000"), travel.pk: D("12000")}
    )
    with pytest.raises(ValidationError):  # beyond the limit without a reason
        agreements_services.grant_budget_change(
            actor=people.grantee, grant_id=signed.pk, amounts={staff.pk: D("27000"), travel.pk: D("13000")}
        )
    result = agreements_services.grant_budget_change(
        actor=people.grantee,
        grant_id=signed.pk,
        reason="A new regional office",
        amounts={staff.pk: D("27000"), travel.pk: D("13000")},
    )  # travel +30% of 10,000
    assert not result.applied and result.amendment.version == 2
    assert [b.heading for b in result.breaches] == [travel.heading_id]
    assert [l.amount for l in lines_of(signed)] == [D("28000"), D("12000")]  # unchanged until approved
    assert Notification.objects.filter(kind="amendment_proposed", email="manager@example.org").exists()
    with pytest.raises(PermissionDenied):
        agreements_services.amendment_approve(actor=people.grantee, amendment_id=result.amendment.pk)
    agreements_services.amendment_approve(actor=people.manager, amendment_id=result.amendment.pk, reason="Justified")
    assert [l.amount for l in lines_of(signed)] == [D("27000"), D("13000")]
    # the approved amendment is the new reference: +25% of 13,000 = 3,250 is now allowed on travel
    result = agreements_services.grant_budget_change(
        actor=people.grantee, grant_id=signed.pk, amounts={staff.pk: D("23750"), travel.pk: D("16250")}
    )
    assert result.applied
    versions = list(Amendment.objects.filter(grant=signed).order_by("version").values_list("version", "state"))
    assert versions == [(1, "approved"), (2, "approved")]


def test_rejected_amendment_changes_nothing(signed, people):
    staff, travel = lines_of(signed)
    result = agreements_services.grant_budget_change(
        actor=people.manager,
        grant_id=signed.pk,
        reason="Equipment instead of staff",
        amounts={staff.pk: D("20000"), travel.pk: D("20000")},
    )
    with pytest.raises(ValidationError):
        agreements_services.grant_budget_change(
            actor=people.grantee,
            grant_id=signed.pk,
            reason="Another",
            amounts={staff.pk: D("10000"), travel.pk: D("30000")},
        )  # one proposal at a time
    with pytest.raises(ValidationError):
        agreements_services.amendment_reject(actor=people.manager, amendment_id=result.amendment.pk, reason="")
    agreements_services.amendment_reject(actor=people.manager, amendment_id=result.amendment.pk, reason="Not justified")
    assert [l.amount for l in lines_of(signed)] == [D("30000"), D("10000")]
    assert Amendment.objects.get(pk=result.amendment.pk).state == "rejected"


def test_budget_change_must_keep_the_total(signed, people):
    staff, travel = lines_of(signed)
    with pytest.raises(ValidationError):
        agreements_services.grant_budget_change(
            actor=people.grantee, grant_id=signed.pk, amounts={staff.pk: D("30001")}
        )
    with pytest.raises(PermissionDenied):
        agreements_services.grant_budget_change(actor=people.donor, grant_id=signed.pk, amounts={})


# --- Exchange rates --------------------------------------------------------------------------


def test_exchange_rate_record_and_correct(people, approved_first):
    month = TODAY.replace(day=1)
    rate = disbursement_services.exchange_rate_record(actor=people.finance, month=TODAY, currency="uah", rate="44.9512")
    assert (rate.month, rate.currency, rate.rate) == (month, "UAH", D("44.9512"))
    disbursement_services.exchange_rate_record(actor=people.finance, month=month, currency="UAH", rate="45.1")
    assert ExchangeRate.objects.get(month=month, currency="UAH").rate == D("45.1")
    with pytest.raises(PermissionDenied):
        disbursement_services.exchange_rate_record(actor=people.manager, month=month, currency="AMD", rate="420")
    with pytest.raises(ValidationError):
        disbursement_services.exchange_rate_record(actor=people.finance, month=month, currency="EUR", rate="1")
    with pytest.raises(ValidationError):
        disbursement_services.exchange_rate_record(actor=people.finance, month=month, currency="AMD", rate="-1")
    pay(people.finance, approved_first, amount=D("721600"), currency="UAH")  # 721,600 / 45.1 = 16,000.00
    with pytest.raises(ValidationError):  # a rate a payment used no longer changes
        disbursement_services.exchange_rate_record(actor=people.finance, month=month, currency="UAH", rate="46")
    assert AuditEvent.objects.filter(action__startswith="exchange_rate").count() == 2
