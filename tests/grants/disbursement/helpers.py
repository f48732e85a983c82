"""Helpers for grants and disbursement tests (set-up only)."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from applications.models import ApplicationState
from grants.calls.models import Call
from tests.factories import application_in_state

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def signed_pdf(name="agreement-signed.pdf"):
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def award(call, organisation, user, amount="40000", requested="40000", **fields):
    """An awarded application (test set-up only: the review part's award service does this in
    the product)."""
    app = application_in_state(call, organisation, user, ApplicationState.REVIEWED, requested=requested, **fields)
    app.award()
    app.awarded_amount = Decimal(amount)
    app.save()
    Call.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + Decimal(amount))
    return app


def report_approve(grant, manager, kind, spent, ineligible=Decimal("0")):
    """A grantee report approved with its spending on the first budget line (set-up through
    the report's named transitions)."""
    from audit.transitions import transition
    from reporting.grantee.models import Expenditure, GranteeReport

    report = GranteeReport.objects.create(grant=grant, kind=kind, due_on=date(2026, 6, 30))
    line = grant.budget_lines.order_by("position").first()
    Expenditure.objects.create(
        report=report, budget_line=line, amount_spent=Decimal(spent), ineligible_amount=Decimal(ineligible)
    )
    transition(report, "submit", actor=manager)
    transition(report, "approve", actor=manager)
    return report
