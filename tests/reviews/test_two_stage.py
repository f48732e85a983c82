"""A two-stage call (PRAG's restricted procedure): concept notes are reviewed and ranked, the
manager invites a shortlist, the invited organisations get a pre-filled full application with its
own deadline, the others are told with the reviewers' feedback, and only the invited can apply."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationState, Review
from applications.review.services import application_award, reviews_assign_auto, shortlist_invite
from applications.services.drafts import application_start
from applications.services.submission import application_submission_problems
from core.errors import TransitionRefused
from grants.calls import services as call_services
from grants.calls.models import Call, CallState, Question
from tests.factories import call_full
from tests.reviews.conftest import score_and_submit
from workers.outbox import outbox_relay_all


@pytest.fixture
def two_stage(world):
    """The world's call is the concept notes' stage; its full-application stage is a draft with a
    template of its own (one question worded as the concept note's, one new)."""
    concept = world.call
    world.programme.ends_on = timezone.localdate() + timedelta(days=365)
    world.programme.save()
    full = call_full(
        world.programme, code="adv-full", state=CallState.DRAFT, envelope="100000", overall_threshold=Decimal("12")
    )
    Call.objects.filter(pk=full.pk).update(concept_call=concept)
    first = Question.objects.filter(call=concept).order_by("position").first()
    Question.objects.filter(call=full, position=1).update(text_en=first.text_en)
    Question.objects.filter(call=full, position=2).update(text_en="Describe the work plan month by month.")
    reviews_assign_auto(actor=world.manager, call_id=concept.pk)
    scores = {world.apps[0].pk: (5, 4.5, 4.5), world.apps[1].pk: (4, 4, 4), world.apps[2].pk: (4.5, 2, 4)}
    for review in Review.objects.order_by("application_id", "pk"):
        score_and_submit(review, scores[review.application_id])
    return concept, Call.objects.get(pk=full.pk)


def test_the_shortlist_opens_the_full_stage_to_the_invited_only(world, two_stage, make_user, make_org):
    concept, full = two_stage
    assert concept.is_concept_stage and not full.is_concept_stage
    with pytest.raises(TransitionRefused):  # concept notes are shortlisted, never awarded
        application_award(actor=world.manager, application_id=world.apps[0].pk)
    deadline = timezone.now() + timedelta(days=30)
    result = shortlist_invite(
        actor=world.manager, call_id=concept.pk, application_ids=[world.apps[0].pk, world.apps[1].pk], deadline=deadline
    )
    assert (result.invited, result.not_invited) == (2, 1)
    assert result.ratio == Decimal("0.80")  # 2 × 40,000 requested for a 100,000 envelope
    states = {a.pk: a.state for a in Application.objects.filter(call=concept)}
    assert [states[a.pk] for a in world.apps] == ["shortlisted", "shortlisted", "rejected"]
    concept.refresh_from_db()
    full.refresh_from_db()
    assert concept.state == CallState.DECIDED and full.state == CallState.OPEN and full.deadline == deadline
    # Each invited organisation has its full application, pre-filled from its concept note.
    drafts = {a.organisation_id: a for a in Application.objects.filter(call=full)}
    assert set(drafts) == {world.orgs[0].pk, world.orgs[1].pk}
    draft = drafts[world.orgs[0].pk]
    assert draft.concept_note_id == world.apps[0].pk and draft.title == world.apps[0].title
    assert draft.requested_amount == world.apps[0].requested_amount and draft.state == ApplicationState.DRAFT
    first_full = Question.objects.get(call=full, position=1)
    assert draft.answers == {str(first_full.pk): "An answer."}  # the question worded the same
    # Only the invited may apply: the third organisation and a newcomer are refused.
    with pytest.raises(ValidationError) as refused:
        application_start(actor=world.applicants[2], call_id=full.pk, organisation_id=world.orgs[2].pk)
    assert "invited after their concept note" in " ".join(refused.value.messages)
    newcomer = make_user()
    with pytest.raises(ValidationError):
        application_start(actor=newcomer, call_id=full.pk, organisation_id=make_org(newcomer).pk)
    found, created = application_start(actor=world.applicants[0], call_id=full.pk, organisation_id=world.orgs[0].pk)
    assert found.pk == draft.pk and not created
    # Invitation and non-invitation reach the organisations, the latter with the reviewers' feedback.
    outbox_relay_all()
    invited = [m for m in mail.outbox if m.to == [world.applicants[0].email]]
    not_invited = [m for m in mail.outbox if m.to == [world.applicants[2].email]]
    assert invited and "invited to send a full application" in invited[-1].body
    assert not_invited and "not invited to the full-application stage" in not_invited[-1].body
    assert "Feedback from the independent reviewers" in not_invited[-1].body


def test_the_full_stage_asks_no_more_than_the_concept_note(world, two_stage):
    concept, full = two_stage
    shortlist_invite(
        actor=world.manager,
        call_id=concept.pk,
        application_ids=[world.apps[0].pk],
        deadline=timezone.now() + timedelta(days=30),
    )
    draft = Application.objects.get(call=full)
    Application.objects.filter(pk=draft.pk).update(requested_amount=Decimal("45000"))
    problems = application_submission_problems(Application.objects.get(pk=draft.pk))
    assert any("may not exceed the 40000.00" in p for p in problems)


def test_the_shortlist_is_refused_until_reviewed_and_never_twice(world, two_stage):
    concept, full = two_stage
    deadline = timezone.now() + timedelta(days=30)
    with pytest.raises(ValidationError):
        shortlist_invite(actor=world.manager, call_id=concept.pk, application_ids=[], deadline=deadline)
    with pytest.raises(ValidationError):  # past deadline
        shortlist_invite(
            actor=world.manager, call_id=concept.pk, application_ids=[world.apps[0].pk], deadline=timezone.now()
        )
    Call.objects.filter(pk=concept.pk).update(state=CallState.CLOSED)
    with pytest.raises(TransitionRefused):
        shortlist_invite(actor=world.manager, call_id=concept.pk, application_ids=[world.apps[0].pk], deadline=deadline)
    Call.objects.filter(pk=concept.pk).update(state=CallState.REVIEWING)
    shortlist_invite(actor=world.manager, call_id=concept.pk, application_ids=[world.apps[0].pk], deadline=deadline)
    Call.objects.filter(pk=concept.pk).update(state=CallState.REVIEWING)
    with pytest.raises(TransitionRefused):
        shortlist_invite(actor=world.manager, call_id=concept.pk, application_ids=[world.apps[1].pk], deadline=deadline)


def test_a_two_stage_call_is_created_with_its_full_stage_and_only_the_first_is_published(world):
    call = call_services.call_create(
        actor=world.manager,
        programme_id=world.programme.pk,
        envelope_amount=Decimal("50000"),
        two_stage=True,
        code="two",
        title="Two stages",
        min_grant=Decimal("10000"),
        max_grant=Decimal("20000"),
        opens_at=timezone.now() + timedelta(days=1),
        deadline=timezone.now() + timedelta(days=20),
    )
    full = Call.objects.get(concept_call=call)
    assert full.code == "two-full" and full.state == CallState.DRAFT and call.is_concept_stage
    assert any("full-application stage" in p for p in call_services.call_publish_problems(full))


def test_the_manager_invites_the_shortlist_on_its_page(world, two_stage, client, settings):
    concept, full = two_stage
    url = reverse("reviews:review_shortlist", args=[concept.pk])
    client.force_login(world.applicants[0])
    assert client.get(url).status_code == 404
    client.force_login(world.manager)
    ranking = client.get(reverse("reviews:review_ranking", args=[concept.pk])).content.decode()
    assert "Invite the shortlist" in ranking and 'value="award"' not in ranking
    page = client.get(url).content.decode()
    # The fundable ones are ticked up to about twice the envelope; the ratio is shown.
    assert page.count('name="application"') == 3 and page.count(" checked") == 2
    assert 'data-envelope="100000.00"' in page
    deadline = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {"application": [world.apps[0].pk], "time_zone": "Europe/Kyiv", "deadline": deadline, "note": "Thank you."},
    )
    assert response.status_code == 302 and response.url == reverse("applications:call_manage", args=[full.pk])
    assert Application.objects.get(pk=world.apps[0].pk).state == ApplicationState.SHORTLISTED
    assert Application.objects.get(pk=world.apps[1].pk).state == ApplicationState.REJECTED
    # A non-invited organisation reads the reviewers' feedback.
    client.force_login(world.applicants[1])
    feedback = client.get(reverse("reviews:review_feedback", args=[world.apps[1].pk])).content.decode()
    assert "4.00" in feedback and world.reviewers[0].full_name not in feedback


def test_the_donor_dashboard_counts_each_stage(world, two_stage, client, grant_role, make_user):
    from reporting.donor.figures import programme_figures

    concept, full = two_stage
    shortlist_invite(
        actor=world.manager,
        call_id=concept.pk,
        application_ids=[world.apps[0].pk, world.apps[1].pk],
        deadline=timezone.now() + timedelta(days=30),
    )
    [row] = programme_figures(world.programme).two_stage
    assert (row.concept_notes, row.shortlisted, row.full_applications, row.awarded) == (3, 2, 0, 0)
    donor = grant_role(make_user(), world.programme, "donor")
    client.force_login(donor)
    page = client.get(reverse("donor:donor_dashboard", args=[world.programme.pk])).content.decode()
    assert "Two-stage calls" in page and "Concept notes" in page


def test_the_api_creates_a_two_stage_call_and_names_both_stages(world):
    from tests.reviews.conftest import api_for

    api = api_for(world.manager)
    response = api.post(
        "/api/v1/calls/",
        {
            "programme": world.programme.pk,
            "code": "api-two",
            "title": "Two stages by API",
            "envelope": "50000",
            "min_grant": "10000",
            "max_grant": "20000",
            "opens_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "deadline": (timezone.now() + timedelta(days=20)).isoformat(),
            "two_stage": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    full = Call.objects.get(concept_call_id=response.json()["id"])
    assert response.json()["full_call"] == full.pk
    assert api.get(f"/api/v1/calls/{full.pk}/").json()["concept_call"] == response.json()["id"]


def test_a_question_named_to_carry_over_gets_the_concept_notes_answer(world, two_stage):
    """The builder's "carries over from": a differently worded question of the full form starts
    with the concept note's answer to the question the manager named."""
    concept, full = two_stage
    concept_first = Question.objects.filter(call=concept).order_by("position").first()
    second = Question.objects.get(call=full, position=2)
    Question.objects.filter(pk=second.pk).update(options={"carries_from": concept_first.pk})
    Question.objects.filter(call=full, position=1).update(text_en="Something else entirely")
    shortlist_invite(
        actor=world.manager,
        call_id=concept.pk,
        application_ids=[world.apps[0].pk],
        deadline=timezone.now() + timedelta(days=30),
    )
    draft = Application.objects.get(call=full, organisation=world.orgs[0])
    assert draft.answers == {str(second.pk): "An answer."}
