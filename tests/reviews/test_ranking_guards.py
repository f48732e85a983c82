"""The ranking page offers decisions only when the call's state allows them, warns about
applications with fewer reviews than the call asks for, and never awards on Enter."""

import re

from django.urls import reverse

from applications.models import Review
from grants.calls.models import Call, CallState
from tests.reviews.conftest import score_and_submit


def _reviewed(world, client):
    client.force_login(world.manager)
    client.post(reverse("reviews:review_call_assign_auto", args=[world.call.pk]))
    for review in Review.objects.order_by("application_id", "pk"):
        score_and_submit(review, (4.5, 4, 4))
    return reverse("reviews:review_ranking", args=[world.call.pk])


def test_decisions_are_offered_only_while_the_call_takes_them(world, client):
    url = _reviewed(world, client)
    assert Call.objects.get(pk=world.call.pk).state == CallState.REVIEWING
    page = client.get(url).content.decode()
    assert page.count('class="decide-row"') == 3 and 'data-testid="no-decisions"' not in page
    Call.objects.filter(pk=world.call.pk).update(state=CallState.CLOSED)
    page = client.get(url).content.decode()
    assert 'class="decide-row"' not in page and "Decide down the ranking" not in page
    assert 'data-testid="no-decisions"' in page and "review has not started" in page
    assert page.count("Awaiting a decision") == 3


def test_enter_in_the_amount_field_never_awards(world, client):
    page = client.get(_reviewed(world, client)).content.decode()
    forms = re.findall(r'<form[^>]*class="decide-row">(.*?)</form>', page, re.S)
    assert forms
    for form in forms:
        first = re.search(r"<button[^>]*>", form).group(0)
        assert "disabled" in first and 'value="award"' not in first


def test_too_few_reviews_are_flagged_beside_a_fundable_score(world, client):
    url = _reviewed(world, client)
    assert "fewer reviews than" not in client.get(url).content.decode()
    Call.objects.filter(pk=world.call.pk).update(reviewers_per_application=3)
    page = client.get(url).content.decode()
    assert page.count('data-testid="few-reviews"') == 3 and "fewer reviews than the 3 required" in page
