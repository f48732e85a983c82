"""Building grants for reporting tests directly from the models (the grants workflow's own
services are tested in tests/grants): an awarded application, its grant, approved budget and
tranches, signed and paid through the models' named transitions, in test setup only."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from applications.models import ApplicationState
from grants.agreements.models import Grant, GrantBudgetLine
from grants.disbursement.models import Payment, Tranche, TrancheState
from reporting.grantee.schedule import grantee_reports_schedule
from tests.factories import application_in_state


def make_grant(
    call, organisation, user, *, number=None, amount="40000", starts_on=None, ends_on=None, sign=True, title=None
):
    """An awarded application turned into a grant with its approved budget and tranches."""
    app = application_in_state(call, organisation, user, state=ApplicationState.REVIEWED, requested=amount, title=title)
    app.award()
    app.awarded_amount = Decimal(amount)
    app.decided_at = timezone.now()
    app.save()
    starts_on = starts_on or date.today() - timedelta(days=200)
    ends_on = ends_on or starts_on + timedelta(days=365)
    grant = Grant.objects.create(
        application=app,
        call=call,
        organisation=organisation,
        number=number or f"{call.programme.code.upper()}-2026-{organisation.country}-{app.pk:03d}",
        title=app.title,
        amount_awarded=Decimal(amount),
        currency=call.envelope.currency,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    for line in app.budget_lines.all():
        GrantBudgetLine.objects.create(
            grant=grant, heading=line.heading, position=line.position, description=line.description, amount=line.total
        )
    for item in call.tranche_plan.all():
        Tranche.objects.create(
            grant=grant,
            position=item.position,
            share_pct=item.share_pct,
            condition=item.condition,
            planned_amount=(Decimal(amount) * item.share_pct / 100).quantize(Decimal("0.01")),
        )
    if sign:
        grant.sign()
        grant.signed_at = timezone.now()
        grant.save()
        grantee_reports_schedule(grant_id=grant.pk)  # as the signing service does
    return grant


def pay_tranche(tranche, approver, payer, *, paid_on=None, reference=None):
    """Make the tranche due (unless the grants workflow already did), approve and pay it."""
    tranche.refresh_from_db()
    if tranche.state == TrancheState.PLANNED:
        tranche.make_due()
        tranche.due_amount = tranche.planned_amount
    tranche.approve()
    tranche.approved_by = approver
    tranche.approved_at = timezone.now()
    tranche.pay()
    tranche.save()
    amount = tranche.due_amount
    Payment.objects.create(
        tranche=tranche,
        grant=tranche.grant,
        paid_on=paid_on or date.today(),
        amount=amount,
        currency=tranche.grant.currency,
        amount_programme_currency=amount,
        bank_reference=reference or f"BANK-{tranche.pk}",
        recorded_by=payer,
    )
    Grant.objects.filter(pk=tranche.grant_id).update(paid_total=F("paid_total") + amount)
    tranche.grant.refresh_from_db()
    return tranche
