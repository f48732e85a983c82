"""The demo data loads, a second run changes nothing, and each role gets its dashboard."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organisation, ProgrammeRole, User
from applications.models import Application
from applications.review.models import Review
from audit.chain import chain_verify
from grants.agreements.models import Grant, GrantState
from grants.calls.models import Call, CallState, Programme


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
    programme = Programme.objects.get(code="demo-eu4i")
    assert programme.budget.amount == 2500000 and str(programme.budget.currency) == "EUR"
    assert (str(programme.starts_on), str(programme.ends_on)) == ("2020-05-01", "2024-08-30")
    assert sorted(programme.countries) == ["AM", "AZ", "BY", "GE", "MD", "UA"]
    assert programme.donors.get().identifier == "XI-IATI-EC_NEAR"
    # One call decided, one open, one in review (config/demo_story.py).
    states = dict(Call.objects.filter(programme=programme).values_list("code", "state"))
    assert states == {
        "demo-integrity-2025": CallState.DECIDED,
        "demo-advocacy-2026": CallState.OPEN,
        "demo-innovation-2026": CallState.REVIEWING,
        "demo-pilot-2025": CallState.DECIDED,  # the public register's pilot (reporting/transparency/demo.py)
    }
    decided = Application.objects.filter(call__code="demo-integrity-2025")
    assert sorted(decided.values_list("state", flat=True)) == sorted(
        ["awarded", "awarded", "reserve", "rejected", "ineligible"]
    )
    assert not Review.objects.filter(application__call__code="demo-integrity-2025").exclude(state="submitted").exists()
    assert Review.objects.filter(application__call__code="demo-integrity-2025").count() == 8  # two per eligible one
    grant = Grant.objects.get(state=GrantState.ACTIVE, call__code="demo-integrity-2025")
    assert 0 < grant.paid_total < grant.amount_awarded  # paid in part
    assert grant.reports.get(kind="interim").state == "approved"
    assert grant.tranches.get(position=2).state == "due"
    assert Review.objects.filter(application__call__code="demo-innovation-2026", state="assigned").exists()
    # Every reference the demo makes is a demo one: it never takes a real programme's numbers.
    assert all(
        r.startswith("DEMO-")
        for r in Application.objects.exclude(reference__isnull=True)
        .exclude(reference="")
        .values_list("reference", flat=True)
    )
    assert all(n.startswith("DEMO-") for n in Grant.objects.values_list("number", flat=True))
    assert programme.indicators.count() == 2  # the results framework (issue 19)
    # Every text of the demo's programme and calls reads in each UI language (issue 20).
    from modeltranslation.translator import translator

    from core.languages import columns

    for model in translator.get_registered_models():
        for name in translator.get_options_for_model(model).fields:  # type: ignore[attr-defined]
            texts = model._default_manager.exclude(**{f"{name}_en": ""}).exclude(**{f"{name}_en__isnull": True})
            for row in texts.values(*columns(name)):
                assert all(row.values()), row
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


@pytest.mark.django_db(transaction=True)
def test_the_logins_can_be_printed_alone():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    before = table_counts()
    call_command("seed_demo", "--logins-only", stdout=out)
    assert "manager@demo.hromada.org" in out.getvalue() and "Demo data" not in out.getvalue()
    assert table_counts() == before


def test_bin_demo_prints_the_logins_after_the_server_runs_and_keeps_e_mails_off_the_console():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "bin" / "demo").read_text()
    assert script.index("is running at") < script.index("--logins-only")
    assert 'EMAIL_URL="filemail://' in script and "seed_demo > var/demo-seed.log" in script
