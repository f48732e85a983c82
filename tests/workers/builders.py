"""Objects that fall due, built from the models and their named transitions (set-up only: the
workflows' own services are tested in their own folders)."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from applications.models import ApplicationState
from applications.review.models import Review
from grants.agreements.models import Grant
from grants.disbursement.models import Tranche
from reporting.grantee.models import GranteeReport
from tests.factories import application_in_state


def grant_active(call, organisation, user, *, number=None) -> Grant:
    app = application_in_state(call, organisation, user, state=ApplicationState.REVIEWED)
    app.award()
    app.awarded_amount = app.requested_amount
    app.save()
    grant = Grant.objects.create(
        application=app,
        call=call,
        organisation=organisation,
        number=number or f"EU4I-2026-{organisation.country}-{app.pk:03d}",
        title=app.title,
        amount_awarded=app.requested_amount,
        currency="EUR",
        starts_on=date.today() - timedelta(days=100),
        ends_on=date.today() + timedelta(days=265),
    )
    grant.sign()
    grant.signed_at = timezone.now()
    grant.save()
    return grant


def tranche_approved(grant, approver, *, approved_at, position=1) -> Tranche:
    tranche = Tranche.objects.create(
        grant=grant, position=position, share_pct=Decimal("40"), condition="signature", planned_amount=Decimal("16000")
    )
    tranche.make_due()
    tranche.due_amount = tranche.planned_amount
    tranche.approve()
    tranche.approved_by = approver
    tranche.approved_at = approved_at
    tranche.save()
    return tranche


def report_scheduled(grant, *, due_on, kind="interim") -> GranteeReport:
    return GranteeReport.objects.create(grant=grant, kind=kind, due_on=due_on)


def review_assigned(application, reviewer, *, due_at, accept=False) -> Review:
    review = Review.objects.create(application=application, reviewer=reviewer, due_at=due_at)
    if accept:
        review.declare_no_conflict()
        review.declared_at = timezone.now()
        review.save()
    return review
