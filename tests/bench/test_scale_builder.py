"""The scale benchmark's builder (bench/scaling/build.py) at a tiny size, so that it cannot rot
unnoticed: its rows are in the proportions the benchmark claims, and the audit chain it writes
in bulk verifies and goes on verifying when the application appends to it."""

import sys
from decimal import Decimal
from pathlib import Path

from django.db import transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from scaling.build import build, reviewers_for


def test_the_builder_writes_a_programme_in_proportion_with_a_valid_audit_chain(postgres):
    from accounts.models import Organisation, ProgrammeRole
    from applications.models import Application
    from applications.review.models import Review, Score
    from audit.chain import chain_verify
    from audit.models import AuditEvent
    from audit.services import audit_record
    from grants.agreements.models import Grant
    from grants.disbursement.models import Payment, Tranche
    from reporting.grantee.models import GranteeReport

    world = build(50)

    apps = Application.objects.all()
    assert apps.count() == 50
    assert Organisation.objects.count() == 25
    assert ProgrammeRole.objects.filter(role="reviewer").count() == reviewers_for(50)
    assert reviewers_for(1000) == 30 and reviewers_for(100_000) == 300
    reviewed = apps.exclude(state="ineligible").count()
    assert Review.objects.count() == 3 * reviewed
    submitted = Review.objects.filter(state="submitted")
    assert Score.objects.count() == 3 * submitted.count()  # one per criterion of the rubric
    awarded = apps.filter(state="awarded")
    assert awarded.count() == 12  # four in ten of the decided call's 25 (i % 10 < 4)
    assert Grant.objects.count() == awarded.count()
    assert Tranche.objects.count() == 3 * Grant.objects.count()
    assert Payment.objects.count() == Tranche.objects.filter(state="paid").count() > Grant.objects.count()
    assert GranteeReport.objects.count() == 2 * Grant.objects.count()
    for grant in Grant.objects.all():
        assert grant.paid_total == sum(p.amount for p in grant.payments.all())
        assert sum(line.amount for line in grant.budget_lines.all()) == grant.amount_awarded
    # Every application carries its receipt and its history, as the detail page reads them.
    app = apps.get(pk=world.objects["application"])
    assert app.submitted_content["reference"] == app.reference and len(app.receipt_sha256) == 64
    assert AuditEvent.objects.filter(object_type="applications.application", object_id=str(app.pk)).count() == 5

    report = chain_verify()
    assert report.ok, report.problem
    assert report.count == AuditEvent.objects.count() > 8 * 50
    with transaction.atomic():  # the application's own writer continues the bulk-written chain
        event = audit_record(actor=world.users["manager"], action="note", obj=app, data={"amount": Decimal("1.50")})
    assert event.seq == report.count + 1
    assert chain_verify().ok
