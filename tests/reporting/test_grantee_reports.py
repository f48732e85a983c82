"""Grantee reports: schedule, autosave, the state machine, ineligible costs, flexibility flags and
the link to the grant's tranches (the grants workflow's own tranche_conditions_check)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.agreements.models import GrantState
from grants.disbursement.models import TrancheState
from reporting.grantee import schedule, services
from reporting.grantee.indicators import indicator_add
from reporting.grantee.models import Expenditure, GranteeReport, GranteeReportState, ReportKind
from reporting.grantee.selectors import grant_close_problems, grant_spending, report_financials
from tests.reporting.builders import make_grant, pay_tranche
from workers.models import Notification


def interim(grant):
    return grant.reports.get(kind=ReportKind.INTERIM)


def final(grant):
    return grant.reports.get(kind=ReportKind.FINAL)


def fill(report, user, spent: dict | None = None, indicators=None):
    """Write the required narrative and the spending per line (line description -> amount)."""
    lines = {line.description: line.pk for line in report.grant.budget_lines.all()}
    expenditures = {lines[desc]: {"amount_spent": amount} for desc, amount in (spent or {}).items()}
    narrative = {
        "summary": "Зроблено багато.",
        "activities": "Trainings.",
        "results": "Results.",
        "sustainability": "It goes on.",
    }
    report.refresh_from_db()
    return services.grantee_report_save(
        actor=user,
        report_id=report.pk,
        version=report.version,
        narrative=narrative,
        expenditures=expenditures,
        indicators=indicators,
    )


def test_signing_a_grant_schedules_an_interim_and_a_final_report(grant):
    reports = list(grant.reports.order_by("due_on"))
    assert [r.kind for r in reports] == [ReportKind.INTERIM, ReportKind.FINAL]
    middle = grant.starts_on + (grant.ends_on - grant.starts_on) / 2
    assert reports[0].due_on == middle and reports[0].period_end == middle
    assert reports[1].due_on == grant.ends_on + timedelta(days=60)
    assert all(r.state == GranteeReportState.SCHEDULED for r in reports)
    # a second call (e.g. from the grants workflow) changes nothing
    assert len(schedule.grantee_reports_schedule(grant_id=grant.pk, actor=None)) == 2
    assert GranteeReport.objects.filter(grant=grant).count() == 2


def test_manager_adds_and_moves_reports_grantee_may_not(grant, manager, grantee):
    report = schedule.grantee_report_add(
        actor=manager, grant_id=grant.pk, kind=ReportKind.INTERIM, due_on=grant.starts_on + timedelta(days=90)
    )
    moved = schedule.grantee_report_move(
        actor=manager, report_id=report.pk, due_on=report.due_on + timedelta(days=10), reason="holidays"
    )
    assert moved.due_on == report.due_on + timedelta(days=10)
    assert AuditEvent.objects.filter(action="grantee_report_move", object_id=str(report.pk)).exists()
    with pytest.raises(PermissionDenied):
        schedule.grantee_report_move(actor=grantee, report_id=report.pk, due_on=report.due_on)
    with pytest.raises(ValidationError):
        schedule.grantee_report_add(actor=manager, grant_id=grant.pk, kind=ReportKind.FINAL, due_on=grant.ends_on)


def test_autosave_refuses_an_older_version_and_other_organisations(grant, grantee, outsider, manager):
    report = interim(grant)
    saved = services.grantee_report_save(
        actor=grantee, report_id=report.pk, version=1, narrative={"summary": "Перша версія"}
    )
    assert saved.version == 2
    with pytest.raises(services.StaleVersion):
        services.grantee_report_save(actor=grantee, report_id=report.pk, version=1, narrative={"summary": "stale tab"})
    report.refresh_from_db()
    assert report.narrative["summary"] == "Перша версія"
    for intruder in (outsider, manager):
        with pytest.raises(PermissionDenied):
            services.grantee_report_save(actor=intruder, report_id=report.pk, version=2, narrative={"summary": "x"})


def test_submit_needs_the_narrative_and_every_indicator(grant, grantee, manager):
    report = interim(grant)
    indicator = indicator_add(actor=manager, grant_id=grant.pk, name="People trained", target=100)
    with pytest.raises(ValidationError) as exc:
        services.grantee_report_submit(actor=grantee, report_id=report.pk)
    text = " ".join(exc.value.messages)
    assert "Summary of progress" in text and "People trained" in text
    fill(report, grantee, {"Project lead": "12000"}, indicators={indicator.pk: {"actual": "40"}})
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == GranteeReportState.SUBMITTED and report.submitted_at is not None
    # every approved budget line has its expenditure row, unspent lines at zero
    assert Expenditure.objects.filter(report=report).count() == grant.budget_lines.count()
    event = AuditEvent.objects.get(action="submit", object_type="reporting.granteereport")
    assert event.data["spent"] == "12000.00"
    assert Notification.objects.filter(kind="grantee_report_submitted", email=manager.email).exists()
    # the grantee can no longer change it
    with pytest.raises(TransitionRefused):
        services.grantee_report_save(
            actor=grantee, report_id=report.pk, version=report.version, narrative={"summary": "y"}
        )


def test_only_the_manager_decides_and_only_on_a_submitted_report(grant, grantee, manager, finance):
    report = interim(grant)
    with pytest.raises(TransitionRefused):
        services.grantee_report_approve(actor=manager, report_id=report.pk)
    fill(report, grantee, {"Project lead": "12000"})
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    for not_allowed in (grantee, finance):
        with pytest.raises(PermissionDenied):
            services.grantee_report_approve(actor=not_allowed, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == GranteeReportState.SUBMITTED


def test_changes_requested_then_resubmitted_then_approved(grant, grantee, manager, django_capture_on_commit_callbacks):
    report = interim(grant)
    fill(report, grantee, {"Project lead": "12000"})
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    with pytest.raises(ValidationError):
        services.grantee_report_request_changes(actor=manager, report_id=report.pk, comment="  ")
    services.grantee_report_request_changes(actor=manager, report_id=report.pk, comment="Add the training lists.")
    report.refresh_from_db()
    assert report.state == GranteeReportState.CHANGES_REQUESTED and report.manager_comment == "Add the training lists."
    assert Notification.objects.filter(kind="grantee_report_changes_requested", email=grantee.email).exists()
    fill(report, grantee, {"Project lead": "12500"})
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.grantee_report_approve(actor=manager, report_id=report.pk, comment="Thank you.")
    report.refresh_from_db()
    assert report.state == GranteeReportState.APPROVED and report.decided_by == manager
    assert [
        e.action
        for e in AuditEvent.objects.filter(object_type="reporting.granteereport", object_id=str(report.pk)).order_by(
            "seq"
        )
    ] == ["submit", "request_changes", "submit", "approve"]
    assert Notification.objects.filter(kind="grantee_report_approved", email=grantee.email).exists()


def test_state_field_is_never_assigned(grant):
    report = interim(grant)
    with pytest.raises(AttributeError):
        report.state = GranteeReportState.APPROVED


def test_ineligible_costs_only_while_under_review_and_within_what_was_spent(grant, grantee, manager):
    report = interim(grant)
    fill(report, grantee, {"Project lead": "12000", "Trips to the regions": "3000"})
    line = grant.budget_lines.get(description="Trips to the regions")
    with pytest.raises(TransitionRefused):
        services.expenditure_ineligible_set(actor=manager, report_id=report.pk, amounts={line.pk: "100"})
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    with pytest.raises(ValidationError):
        services.expenditure_ineligible_set(actor=manager, report_id=report.pk, amounts={line.pk: "3000.01"})
    with pytest.raises(PermissionDenied):
        services.expenditure_ineligible_set(actor=grantee, report_id=report.pk, amounts={line.pk: "1"})
    services.expenditure_ineligible_set(
        actor=manager, report_id=report.pk, amounts={line.pk: "450.50"}, reason="No receipt"
    )
    financials = report_financials(GranteeReport.objects.select_related("grant__call").get(pk=report.pk))
    assert financials.ineligible_total == Decimal("450.50") and financials.eligible_total == Decimal("14549.50")
    event = AuditEvent.objects.get(action="expenditure_ineligible_set")
    assert event.reason == "No receipt" and event.data["changes"][0]["after"] == "450.50"


def test_variance_and_flexibility_flags(grant, grantee, manager, django_capture_on_commit_callbacks):
    # budget: Staff 30,000 (Project lead), Travel 10,000 (Trips); flexibility 25%
    report = interim(grant)
    fill(report, grantee, {"Project lead": "15000", "Trips to the regions": "13000"})
    financials = report_financials(GranteeReport.objects.select_related("grant__call").get(pk=report.pk))
    travel = next(h for h in financials.headings if h.name == "Travel")
    staff = next(h for h in financials.headings if h.name == "Staff")
    assert travel.change_pct == Decimal("30.0") and "Travel" in travel.flag and "amendment" in travel.flag
    assert staff.flag == ""  # under budget in an interim report is not a move
    line = next(ln for ln in financials.lines if ln.description == "Project lead")
    assert (line.budget, line.spent, line.remaining, line.used_pct) == (
        Decimal("30000.00"),
        Decimal("15000.00"),
        Decimal("15000.00"),
        Decimal("50.0"),
    )
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.grantee_report_approve(actor=manager, report_id=report.pk)
    # the final report adds to the interim one; Staff ends 40% under budget: flagged now
    last = final(grant)
    fill(last, grantee, {"Project lead": "3000"})
    financials = report_financials(GranteeReport.objects.select_related("grant__call").get(pk=last.pk))
    staff = next(h for h in financials.headings if h.name == "Staff")
    assert staff.cumulative == Decimal("18000.00") and staff.change_pct == Decimal("-40.0") and staff.flag
    line = next(ln for ln in financials.lines if ln.description == "Project lead")
    assert (line.previous, line.spent, line.cumulative) == (
        Decimal("15000.00"),
        Decimal("3000.00"),
        Decimal("18000.00"),
    )


def test_approving_the_interim_report_makes_the_second_tranche_due(
    grant, grantee, manager, finance, django_capture_on_commit_callbacks
):
    first, second, balance = grant.tranches.order_by("position")
    pay_tranche(first, manager, finance)  # 40% = 16,000 paid on signature
    report = interim(grant)
    fill(report, grantee, {"Project lead": "12000"})  # 75% of the payment spent (≥ 70%)
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    second.refresh_from_db()
    assert second.state == TrancheState.PLANNED
    with django_capture_on_commit_callbacks(execute=True):
        services.grantee_report_approve(actor=manager, report_id=report.pk)
    second.refresh_from_db()
    assert second.state == TrancheState.DUE and second.due_amount == Decimal("16000.00")
    assert grant_spending(grant.pk) == {
        "declared": Decimal("12000.00"),
        "ineligible": Decimal("0.00"),
        "eligible": Decimal("12000.00"),
    }
    assert "The final report is not approved yet." in grant_close_problems(grant.pk)


def test_approving_the_final_report_makes_the_balance_due_and_lets_the_grant_close(
    grant, grantee, manager, finance, make_user, grant_role, django_capture_on_commit_callbacks
):
    from accounts.models import ProgrammeRole
    from grants.disbursement.lifecycle import grant_close
    from grants.disbursement.lifecycle import grant_close_problems as grants_close_problems

    first, second, balance = grant.tranches.order_by("position")
    approver = grant_role(make_user("approver@example.org"), grant.call.programme, ProgrammeRole.Role.MANAGER)
    pay_tranche(first, approver, finance)
    for report, spent in ((interim(grant), "14000"), (final(grant), "24000")):
        fill(report, grantee, {"Project lead": spent, "Trips to the regions": "0"})
        services.grantee_report_submit(actor=grantee, report_id=report.pk)
        with django_capture_on_commit_callbacks(execute=True):
            services.grantee_report_approve(actor=manager, report_id=report.pk)
        if report.kind == ReportKind.INTERIM:
            second.refresh_from_db()
            assert second.state == TrancheState.DUE
            pay_tranche(second, approver, finance, reference="BANK-2")
    balance.refresh_from_db()
    # eligible spending 38,000 - paid 32,000 = 6,000 (capped below the planned 8,000)
    assert balance.state == TrancheState.DUE and balance.due_amount == Decimal("6000.00")
    assert grant_close_problems(grant.pk) == []
    pay_tranche(balance, approver, finance, reference="BANK-3")
    assert grants_close_problems(grant) == []
    grant_close(actor=manager, grant_id=grant.pk)
    grant.refresh_from_db()
    assert grant.state == GrantState.CLOSED


def test_a_failing_tranche_check_leaves_the_report_approved_and_is_logged(
    grant, grantee, manager, finance, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from grants.disbursement import receivers

    def broken(**kwargs):
        raise RuntimeError("the grant's row could not be read")

    first, second, _balance = grant.tranches.order_by("position")
    pay_tranche(first, manager, finance)
    report = interim(grant)
    fill(report, grantee, {"Project lead": "12000"})
    services.grantee_report_submit(actor=grantee, report_id=report.pk)
    monkeypatch.setattr(receivers, "tranche_conditions_check", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.grantee_report_approve(actor=manager, report_id=report.pk)
    report.refresh_from_db()
    second.refresh_from_db()
    assert report.state == GranteeReportState.APPROVED and second.state == TrancheState.PLANNED
    assert "could not be checked after a report approval" in caplog.text


def test_grants_of_an_unsigned_agreement_have_no_schedule_until_signed(call, grantee_org, grantee, manager):
    from grants.disbursement.lifecycle import grant_sign
    from tests.grants.disbursement.helpers import signed_pdf

    draft = make_grant(call, grantee_org, grantee, sign=False)
    assert not draft.reports.exists()
    grant_sign(actor=manager, grant_id=draft.pk, document=signed_pdf())
    assert draft.reports.count() == 2
