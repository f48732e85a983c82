"""The demo data loads, a second run changes nothing, and each role gets its dashboard."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organisation, ProgrammeRole, User
from audit.chain import chain_verify
from grants.calls.models import Call, Programme


def table_counts():
    from django.apps import apps

    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "grants", "applications", "reporting", "workers", "audit"}
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_complete_and_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    programme = Programme.objects.get(code="eu4i")
    assert programme.budget.amount == 2500000 and str(programme.budget.currency) == "EUR"
    assert (str(programme.starts_on), str(programme.ends_on)) == ("2020-05-01", "2024-08-30")
    assert sorted(programme.countries) == ["AM", "AZ", "BY", "GE", "MD", "UA"]
    assert programme.donors.get().identifier == "XI-IATI-EC_NEAR"
    # Two calls taking applications, and a decided pilot call whose grant is public (issue 19).
    assert Call.objects.filter(programme=programme).count() == 3
    assert Call.objects.get(programme=programme, code="pilot-2025").state == "decided"
    assert programme.indicators.count() == 2
    assert Organisation.objects.count() == 10
    assert Organisation.objects.values("country").distinct().count() == 5
    for email in ("applicant", "reviewer", "manager", "finance", "donor", "admin"):
        assert f"{email}@demo.hromada.org" in out.getvalue()
    assert set(ProgrammeRole.objects.values_list("role", flat=True)) == set(ProgrammeRole.Role.values)
    before = table_counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert table_counts() == before
    assert chain_verify().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "email,section",
    [
        ("applicant@demo.hromada.org", "dash-applicant"),
        ("reviewer@demo.hromada.org", "dash-reviewer"),
        ("manager@demo.hromada.org", "dash-manager"),
        ("finance@demo.hromada.org", "dash-finance"),
        ("donor@demo.hromada.org", "dash-donor"),
        ("admin@demo.hromada.org", "dash-admin"),
    ],
)
def test_each_demo_role_sees_its_dashboard(client, settings, email, section):
    settings.HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = False
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(email=email))
    html = client.get(reverse("dashboard")).content.decode()
    assert f'id="{section}"' in html
    others = {"dash-applicant", "dash-reviewer", "dash-manager", "dash-finance", "dash-donor"} - {section}
    assert not any(f'id="{o}"' in html for o in others)
