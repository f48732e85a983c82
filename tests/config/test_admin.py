"""The Django admin is the site administrators' tool: branded Hromada, and it offers no mass
deletion of user accounts (accounts end by deactivation, which keeps the record)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_admin_is_branded_and_offers_no_mass_deletion_of_users(client, make_user):
    admin_user = make_user(email="root@example.org", is_staff=True, is_superuser=True)
    make_user(email="someone@example.org")
    client.force_login(admin_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "<title>Site administration | Hromada</title>" in index and "Django administration" not in index
    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "someone@example.org" in users and "delete_selected" not in users
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [u.pk for u in admin_user.__class__.objects.all()]},
    )
    assert admin_user.__class__.objects.count() == 2, response.status_code
