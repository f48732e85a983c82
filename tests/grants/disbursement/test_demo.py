"""The demo leaves a signed grant whose first tranche the finance officer paid in hryvnias
(approved by the manager: four eyes), visible to the grantee's contact, and a second run
changes nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from grants.agreements.models import Grant, GrantState
from grants.disbursement.models import ExchangeRate, Payment, TrancheState


@pytest.mark.django_db(transaction=True)
def test_demo_grant_signed_and_first_tranche_paid(client, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = False
    call_command("seed_demo", stdout=io.StringIO())
    grant = Grant.objects.filter(state=GrantState.ACTIVE).order_by("pk").first()
    assert grant is not None and grant.signed_document
    first = grant.tranches.order_by("position").first()
    payment = Payment.objects.get(tranche=first)
    assert first.state == TrancheState.PAID and payment.currency == "UAH"
    assert payment.recorded_by.email == "finance@demo.hromada.org"
    assert first.approved_by.email == "manager@demo.hromada.org"
    assert grant.paid_total == payment.amount_programme_currency == first.due_amount
    counts = (Grant.objects.count(), Payment.objects.count(), ExchangeRate.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Grant.objects.count(), Payment.objects.count(), ExchangeRate.objects.count()) == counts
    member = grant.organisation.memberships.select_related("user").first().user
    client.force_login(member)
    page = client.get(reverse("grants:grant_detail", args=[grant.pk])).content.decode()
    assert grant.number in page and payment.bank_reference in page
    client.force_login(User.objects.get(email="donor@demo.hromada.org"))
    assert client.get(reverse("grants:grant_detail", args=[grant.pk])).status_code == 200
    client.force_login(User.objects.get(email="finance@demo.hromada.org"))
    assert "dash-finance" in client.get(reverse("dashboard")).content.decode()
