"""Demo data for the public register; called by `manage.py seed_demo` (idempotent).

A decided pilot call of the demo programme, so that a newcomer sees real open-data files and a
filled register: one awarded application with proposed indicators, its signed grant, an approved
interim report with actuals, a published practice, and a signed head of the audit chain when
AUDIT_SIGNING_KEY is set."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from djmoney.money import Money

from accounts.models import Membership
from applications.models import Application, ProposedIndicator
from audit.signing import SigningUnavailable, head_sign
from audit.transitions import lock, transition
from grants.agreements.models import Grant, GrantState
from grants.calls import demo as calls_demo
from grants.calls.models import Call, CallState, Programme, ProgrammeIndicator
from grants.disbursement import lifecycle
from grants.disbursement.demo import _agreement_pdf
from reporting.grantee.models import GranteeReportState, ReportKind
from reporting.grantee.services import grantee_report_approve, grantee_report_save, grantee_report_submit
from reporting.transparency.models import Practice, PracticeState
from reporting.transparency.services import practice_publish, practice_save, practice_submit

CODE = "demo-pilot-2025"  # demo references begin with DEMO-: never a real programme's numbers
AWARD = Decimal("30000")
PROPOSED = [("OC1", "Municipalities publishing budget data", "municipalities", "0", "6", "3"),
            ("OP1", "Residents trained in budget monitoring", "people", "0", "120", "75")]  # fmt: skip


def _decided_call(programme: Programme, manager, now) -> Call:
    call = Call.objects.filter(programme=programme, code=CODE).first()
    if call is not None:
        return call
    with transaction.atomic():
        call = Call.objects.create(
            programme=programme,
            code=CODE,
            title="Pilot grants for open local budgets",
            title_uk="Пілотні гранти на відкриті місцеві бюджети",
            title_hy="Փորձնական դրամաշնորհներ բաց տեղական բյուջեների համար",
            description="A small pilot call, decided: its grants are on the public register and in the open data.",
            envelope=Money(Decimal("100000.00"), programme.budget.currency),
            min_grant=Decimal("10000"),
            max_grant=Decimal("40000"),
            eligible_countries=["AM", "GE", "MD", "UA"],
            eligible_org_types=["ngo", "association", "think_tank", "network", "media"],
            opens_at=now - timedelta(days=400),
            deadline=now - timedelta(days=340),
            sector="15150",
        )
        call.indicators.set(ProgrammeIndicator.objects.filter(programme=programme))
        Programme.objects.filter(pk=programme.pk).update(envelopes_total=F("envelopes_total") + call.envelope.amount)
        for name in ("publish", "open", "close", "start_review"):
            transition(lock(Call, call.pk), name, actor=manager, reason="seed_demo")
    return Call.objects.get(pk=call.pk)


def _awarded(call: Call, organisation, contact, manager, now) -> Application:
    app = Application.objects.filter(call=call, organisation=organisation).first()
    if app is not None:
        return app
    with transaction.atomic():
        app = Application.objects.create(
            call=call,
            organisation=organisation,
            created_by=contact,
            title="Open budgets in three hromadas",
            summary="Residents learn to read their municipality's budget and ask questions at public hearings.",
            requested_amount=AWARD,
            duration_months=12,
        )
        links = dict(ProgrammeIndicator.objects.filter(programme=call.programme).values_list("code", "pk"))
        ProposedIndicator.objects.bulk_create(
            ProposedIndicator(
                application=app,
                position=i,
                programme_indicator_id=links.get(code),
                name=name,
                unit=unit,
                baseline=Decimal(baseline),
                target=Decimal(target),
                means_of_verification="Hearing minutes and attendance lists",
            )
            for i, (code, name, unit, baseline, target, _actual) in enumerate(PROPOSED, start=1)
        )
        for name in ("submit", "mark_eligible", "start_review", "complete_review", "award"):
            app = lock(Application, app.pk)
            if name == "submit":
                app.reference, app.submitted_at = f"{CODE.upper()}-{app.pk:04d}", now - timedelta(days=345)
            if name == "award":
                app.awarded_amount, app.decided_at = AWARD, now - timedelta(days=300)
                Call.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + AWARD)
            transition(app, name, actor=contact if name == "submit" else manager, reason="seed_demo")
    return app


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
    manager, now = ctx["users"].get("manager"), ctx["now"]
    programme = ctx["programme"]
    member = (
        Membership.objects.filter(organisation__in=ctx["organisations"]).select_related("organisation", "user").first()
    )
    if manager is None or member is None:
        return
    call = _decided_call(programme, manager, now)
    calls_demo.seed({**ctx, "calls": {CODE: call}})  # its template, as the other calls have
    app = _awarded(call, member.organisation, member.user, manager, now)
    grant = Grant.objects.filter(application=app).first()
    if grant is None:
        start = (now - timedelta(days=280)).date()
        grant = lifecycle.grant_create_from_application(actor=manager, application_id=app.pk, starts_on=start)
    if grant.state == GrantState.DRAFT:
        pdf = SimpleUploadedFile(f"{grant.number}-signed.pdf", _agreement_pdf(grant), content_type="application/pdf")
        grant = lifecycle.grant_sign(actor=manager, grant_id=grant.pk, document=pdf, signed_on=grant.starts_on)
    if call.state == CallState.REVIEWING:
        with transaction.atomic():
            transition(lock(Call, call.pk), "decide", actor=manager, reason="seed_demo")
    report = grant.reports.filter(kind=ReportKind.INTERIM).first()
    if report is not None and report.state == GranteeReportState.SCHEDULED:
        actuals = {name: actual for _c, name, _u, _b, _t, actual in PROPOSED}
        report = grantee_report_save(
            actor=member.user,
            report_id=report.pk,
            version=report.version,
            narrative={
                "summary": "Three hromadas publish their budgets monthly; two hearings held.",
                "activities": "Trainings for residents; budget hearings; a data portal.",
                "results": "Residents proposed changes to two budget lines, both adopted.",
            },
            indicators={i.pk: {"actual": actuals.get(i.name, "0"), "comment": ""} for i in grant.indicators.all()},
        )
        grantee_report_submit(actor=member.user, report_id=report.pk)
        grantee_report_approve(actor=manager, report_id=report.pk, comment="Thank you.")
    if not Practice.objects.filter(grant=grant).exists():
        practice = practice_save(
            actor=member.user,
            grant_id=grant.pk,
            title="Budget hearings in the library",
            language="en",
            problem="Residents never saw the budget before the council voted it.",
            approach="Monthly hearings in the public library with a one-page budget summary and open data.",
            result="The council adopted two changes residents proposed; attendance grew from 12 to 60.",
            contact="info@example.org",
        )
        practice_submit(actor=member.user, practice_id=practice.pk)
        practice_publish(actor=manager, practice_id=practice.pk)
    if Practice.objects.filter(grant=grant, state=PracticeState.PUBLISHED).exists():
        try:
            head_sign()
        except SigningUnavailable:
            pass  # without AUDIT_SIGNING_KEY the audit page says no head is signed yet
