"""The money side of the scale benchmark's programme: grants of the awarded applications with
their budgets, indicators, tranches, payments and grantee reports; and history rows (donor
reports, export jobs, notifications). Audit events go through the builder's Chain."""

from datetime import date, timedelta
from decimal import Decimal

from scaling.copy import insert

from grants.agreements.models import Grant, GrantBudgetLine
from grants.disbursement.models import Payment, Tranche
from reporting.data.models import ExportJob
from reporting.donor.models import DonorReport
from reporting.grantee.models import Expenditure, GranteeReport, Indicator, IndicatorValue
from workers.models import Notification

EUR = Decimal("0.01")


def grants_build(world, chain, awarded, headings, manager, finance, past):
    hs = sorted(headings.values(), key=lambda h: h.position)
    grants = []
    for i, app in enumerate(awarded):
        grants.append(
            Grant(
                application=app,
                call=world.decided_call,
                organisation_id=app.organisation_id,
                number=f"BENCH-ADV-{i + 1:06d}",
                title=app.title,
                amount_awarded=app.awarded_amount,
                currency="EUR",
                starts_on=(past + timedelta(days=40)).date(),
                ends_on=(past + timedelta(days=405)).date(),
                signed_at=past + timedelta(days=40),
                state="closed" if i % 10 == 9 else "active",
            )
        )
    insert(Grant, grants)
    budget, tranches, payments, indicators, reports = [], [], [], [], []
    for i, grant in enumerate(grants):
        amount = grant.amount_awarded
        staff_part = (amount * Decimal("0.7")).quantize(EUR)
        indirect = (amount * Decimal("0.06")).quantize(EUR)
        for pos, (heading, text, value) in enumerate(
            [
                (hs[0], "Staff", staff_part),
                (hs[1], "Travel", amount - staff_part - indirect),
                (hs[3], "Indirect", indirect),
            ],
            start=1,
        ):
            budget.append(GrantBudgetLine(grant=grant, heading=heading, position=pos, description=text, amount=value))
        second_paid = i % 2 == 0
        first = (amount * Decimal("0.4")).quantize(EUR)
        plan = [
            (Decimal(40), "signature", first),
            (Decimal(40), "interim_report", first),
            (Decimal(20), "final_report", amount - 2 * first),
        ]
        for pos, (share, condition, planned) in enumerate(plan, start=1):
            paid = pos == 1 or (pos == 2 and second_paid)
            tranches.append(
                Tranche(
                    grant=grant,
                    position=pos,
                    share_pct=share,
                    condition=condition,
                    planned_amount=planned,
                    due_amount=planned if paid else None,
                    due_on=(past + timedelta(days=40 + 180 * (pos - 1))).date(),
                    approved_by=manager if paid else None,
                    approved_at=past + timedelta(days=41) if paid else None,
                    state="paid" if paid else ("due" if pos == 2 else "planned"),
                )
            )
        grant.paid_total = first * (2 if second_paid else 1)
        for pos in (1, 2):
            indicators.append(
                Indicator(
                    grant=grant,
                    position=pos,
                    name=f"People reached ({pos})",
                    unit="people",
                    baseline=Decimal(0),
                    target=Decimal(500 * pos),
                )
            )
        interim_state = "approved" if second_paid else ("submitted", "scheduled", "changes_requested")[i % 3]
        for kind, state, due in (("interim", interim_state, 220), ("final", "scheduled", 420)):
            reports.append(
                GranteeReport(
                    grant=grant,
                    kind=kind,
                    due_on=(past + timedelta(days=due)).date(),
                    state=state,
                    narrative={"progress": "What we did, with whom, and what changed."} if state != "scheduled" else {},
                    submitted_at=past + timedelta(days=due - 5) if state != "scheduled" else None,
                    decided_by=manager if state in ("approved", "changes_requested") else None,
                    decided_at=past + timedelta(days=due) if state in ("approved", "changes_requested") else None,
                )
            )
    Grant.objects.bulk_update(grants, ["paid_total"], batch_size=5000)
    insert(GrantBudgetLine, budget)
    insert(Tranche, tranches)
    insert(Indicator, indicators)
    insert(GranteeReport, reports)
    for t in tranches:
        if t.state == "paid":
            payments.append(
                Payment(
                    tranche=t,
                    grant_id=t.grant_id,
                    paid_on=t.due_on,
                    amount=t.due_amount,
                    currency="EUR",
                    amount_programme_currency=t.due_amount,
                    bank_reference=f"BANK-{t.pk:08d}",
                    recorded_by=finance,
                )
            )
    insert(Payment, payments)
    lines_of = {}
    for line in budget:
        lines_of.setdefault(line.grant_id, []).append(line)
    inds_of = {}
    for ind in indicators:
        inds_of.setdefault(ind.grant_id, []).append(ind)
    expenditures, values = [], []
    for r in reports:
        if r.state == "scheduled":
            continue
        for line in lines_of[r.grant_id]:
            expenditures.append(
                Expenditure(report=r, budget_line=line, amount_spent=(line.amount * Decimal("0.3")).quantize(EUR))
            )
        for ind in inds_of[r.grant_id]:
            values.append(IndicatorValue(report=r, indicator=ind, actual=ind.target / 2))
    insert(Expenditure, expenditures)
    insert(IndicatorValue, values)
    for grant in grants:
        chain.add(manager, "grant_create", grant, "", "draft", {"amount": grant.amount_awarded})
        chain.add(manager, "sign", grant, "draft", "active")
    for t in tranches:
        if t.state == "paid":
            chain.add(manager, "approve", t, "due", "approved")
    for p in payments:
        chain.add(finance, "payment_record", p, "", "", {"amount": p.amount, "bank_reference": p.bank_reference})
    for r in reports:
        if r.state == "approved":
            chain.add(manager, "approve", r, "submitted", "approved")
    mid = grants[len(grants) // 2]
    world.objects.update(grant=mid.pk, report=next(r.pk for r in reports if r.grant_id == mid.pk))


def history_build(world, chain, manager, n, now):
    """Donor reports and export jobs (history, files past retention), the manager's notifications."""
    count = max(2, n // 1000)
    donor_reports = insert(
        DonorReport,
        [
            DonorReport(
                programme=world.programme,
                period_start=date(2021, 1, 1),
                period_end=date(2021, 12, 31),
                requested_by=world.users["donor"] if i % 2 else manager,
                state="ready" if i % 5 else "failed",
                finished_at=now - timedelta(days=i),
                pages=12,
                progress=100,
                attempts=1,
                stored_name=f"donor-report-{i}.pdf" if i % 5 else "",
                file_removed_at=now if i % 5 else None,
                error="" if i % 5 else "The PDF renderer stopped.",
            )
            for i in range(count)
        ],
    )
    jobs = insert(
        ExportJob,
        [
            ExportJob(
                user=manager,
                kind=("applications", "reviews", "grants", "tranches", "reports")[i % 5],
                file_format="csv",
                params={"programme": str(world.programme.pk)},
                rows_total=n,
                rows_done=n,
                state="ready" if i % 4 else "failed",
                stored_name=f"export-{i}.csv" if i % 4 else "",
                file_removed_at=now if i % 4 else None,
                finished_at=now - timedelta(days=i),
            )
            for i in range(count)
        ],
    )
    for r in donor_reports:
        chain.add(r.requested_by, "finish" if r.state == "ready" else "fail", r, "generating", r.state)
    for j in jobs:
        chain.add(None, "export_job_finish" if j.state == "ready" else "export_job_fail", j, "running", j.state)
    insert(
        Notification,
        [
            Notification(
                kind="application_submitted",
                recipient=manager,
                email=manager.email,
                object_type="applications.application",
                object_id=str(i),
                key=str(i),
                context={"application": f"ADV-{i:06d}", "path": "/applications/"},
                delivery="digest",
                sent_at=now,
                read_at=now if i % 3 else None,
            )
            for i in range(max(10, n // 10))
        ],
    )
    world.objects.update(donor_report=donor_reports[len(donor_reports) // 2].pk, export_job=jobs[len(jobs) // 2].pk)
