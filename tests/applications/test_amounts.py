"""Amounts a careless client or a person types: `1e308`, `0`, `0.001` and `1000.005` in the requested
amount or a budget line's unit cost are refused with a message on that field (never a 500, never
rounded silently), through the API and the page's autosave; the rest of the draft is kept."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.tokens import token_create
from applications.models import BudgetLine

BAD = {
    "1e308": "Enter an amount below 1,000,000,000,000.",
    "0": "Enter an amount greater than 0.",
    "0.001": "Amounts have at most two decimals.",
    "1000.005": "Amounts have at most two decimals.",
}
# A budget line's unit cost may be 0 (a line being typed is saved that way; the database allows it).
BAD_COST = {**{k: v for k, v in BAD.items() if k != "0"}, "-1": "Enter an amount of 0 or more."}


@pytest.fixture
def api(applicant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=applicant, days=None)[1]}")
    return client


def _line(draft, cost):
    return {"heading": draft.call.budget_headings.first().pk, "description": "Staff", "units": "2", "unit_cost": cost}


@pytest.mark.parametrize("amount", BAD)
def test_api_requested_amount_is_refused_on_its_field_and_the_rest_is_kept(api, draft, amount):
    response = api.patch(
        f"/api/v1/applications/{draft.pk}/",
        {"version": draft.version, "title": "Kept", "requested_amount": amount},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"requested_amount": [BAD[amount]]}
    draft.refresh_from_db()
    assert draft.title == "Kept" and draft.requested_amount is None


@pytest.mark.parametrize("amount", BAD_COST)
def test_api_budget_line_unit_cost_is_refused_on_its_field(api, draft, amount):
    response = api.post(f"/api/v1/applications/{draft.pk}/budget-lines/", _line(draft, amount), format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"unit_cost": [BAD_COST[amount]]}
    response = api.put(
        f"/api/v1/applications/{draft.pk}/budget-lines/",
        {"version": draft.version, "lines": [_line(draft, amount)]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert f"Row 1: unit cost: {BAD_COST[amount]}" in response.json()["budget"]
    assert not BudgetLine.objects.filter(application=draft).exists()


@pytest.mark.parametrize("amount", BAD)
def test_autosave_refuses_the_amount_with_400_and_keeps_the_rest(client, applicant, draft, amount):
    cost = amount if amount in BAD_COST else "-1"
    client.force_login(applicant)
    response = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps(
            {
                "version": draft.version,
                "fields": {"title": "Kept", "requested_amount": amount, "budget": [_line(draft, cost)]},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"]["requested_amount"] == [BAD[amount]]
    assert f"Row 1: unit cost: {BAD_COST[cost]}" in body["errors"]["budget"]
    assert body["applied"] == ["title"]
    draft.refresh_from_db()
    assert draft.title == "Kept" and draft.requested_amount is None
    assert not BudgetLine.objects.filter(application=draft).exists()


def test_two_decimals_and_grouped_digits_are_saved(api, draft):
    response = api.patch(
        f"/api/v1/applications/{draft.pk}/", {"version": draft.version, "requested_amount": "40 000,50"}, format="json"
    )
    assert response.status_code == 200 and response.json()["requested_amount"] == "40000.50"


def test_messages_are_in_the_users_language(client, make_user, draft, applicant):
    applicant.language = "uk"
    applicant.save(update_fields=["language"])
    client.force_login(applicant)
    response = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps({"version": draft.version, "fields": {"requested_amount": "abc"}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["requested_amount"] != ["Enter a number."]  # Ukrainian catalogue
