"""Names people give themselves and their organisations lose control and bidirectional characters
on input, whichever way they arrive (sign-up, the organisation form, the API, an import)."""

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Organisation, User

HOSTILE = "Fund\u202eevil\x1b[0m\r\nCorp\u200e"
CLEAN = "Fundevil[0m Corp"


def test_sign_up_cleans_the_full_name(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": HOSTILE,
            "email": "olena@cso.org.ua",
            "password1": "a-long-passphrase-2026",
            "password2": "a-long-passphrase-2026",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="olena@cso.org.ua").full_name == CLEAN


def test_the_organisation_form_cleans_the_legal_name(client, make_user):
    client.force_login(make_user())
    response = client.post(
        reverse("accounts:organisation_create"),
        {"legal_name": HOSTILE, "country": "UA", "org_type": "ngo", "registration_id": "UA-EDR-35960913"},
    )
    assert response.status_code == 302
    assert Organisation.objects.get().legal_name == CLEAN


def test_the_api_cleans_the_legal_name(make_user):
    api = APIClient()
    api.force_authenticate(make_user())
    response = api.post(
        "/api/v1/organisations/",
        {"legal_name": HOSTILE, "country": "MD", "org_type": "association", "registration_id": "MD-IDNO-1003600123456"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["legal_name"] == CLEAN
    assert Organisation.objects.get().legal_name == CLEAN
