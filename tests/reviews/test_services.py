"""Assignment, declarations, scoring, returns, consensus and decisions through the services:
the rules, the state changes, the audit trail and the messages they leave."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Membership, ProgrammeRole, User
from applications.models import Application, ApplicationState
from applications.review import services
from applications.review.models import Review, ReviewerProfile, ReviewState, Score
from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.calls.models import Call, CallState
from tests.reviews.conftest import COMMENT, score_and_submit
from workers.models import Notification
from workers.outbox import outbox_relay_all


def assign(world, app, *reviewers):
    return [services.review_assign(actor=world.manager, application_id=app.pk, reviewer_id=r.pk) for r in reviewers]


def reviewed(world, app, *score_lists, reviewers=None):
    """Assign one reviewer per score list, have each declare and submit: the application is reviewed."""
    reviewers = reviewers or world.reviewers[: len(score_lists)]
    for review, scores in zip(assign(world, app, *reviewers), score_lists):
        score_and_submit(review, scores)
    app.refresh_from_db()
    assert app.state == ApplicationState.REVIEWED
    return app


def state_of(obj):
    return type(obj).objects.values_list("state", flat=True).get(pk=obj.pk)


# --- assignment -------------------------------------------------------------------------------


def test_automatic_assignment_balances_load_and_respects_every_exclusion(world):
    Call.objects.filter(pk=world.call.pk).update(reviewers_not_from_applicant_country=True)
    ua_app, am_app, ge_app = world.apps
    am_reviewer, ge_reviewer, ua_reviewer, md_reviewer = world.reviewers
    # The Moldovan reviewer is also a member of the Ukrainian applicant.
    Membership.objects.create(organisation=world.orgs[0], user=md_reviewer, role="member")
    result = services.reviews_assign_auto(actor=world.manager, call_id=world.call.pk)
    assert len(result.created) == 6 and result.short == []
    pairs = set(Review.objects.values_list("application_id", "reviewer_id"))
    assert (ua_app.pk, ua_reviewer.pk) not in pairs and (am_app.pk, am_reviewer.pk) not in pairs
    assert (ge_app.pk, ge_reviewer.pk) not in pairs and (ua_app.pk, md_reviewer.pk) not in pairs
    loads = sorted(
        Review.objects.values_list("reviewer_id")
        .annotate(n=__import__("django").db.models.Count("pk"))
        .values_list("n", flat=True)
    )
    assert loads == [1, 1, 2, 2]
    for app in world.apps:
        assert state_of(app) == ApplicationState.UNDER_REVIEW
        assert Review.objects.filter(application=app).count() == 2
    assert state_of(world.call) == CallState.REVIEWING
    review = Review.objects.first()
    assert abs(review.due_at - (timezone.now() + timedelta(days=world.call.review_days))) < timedelta(minutes=1)
    assert AuditEvent.objects.filter(action="review_assign").count() == 6
    assert AuditEvent.objects.filter(action="start_review", object_type="applications.application").count() == 3
    assert Notification.objects.filter(kind="review_assigned").count() == 6
    # A second run changes nothing.
    assert services.reviews_assign_auto(actor=world.manager, call_id=world.call.pk).created == []


def test_a_conflict_ends_the_assignment_tells_the_manager_and_is_never_repeated(world):
    app = world.apps[0]
    first, second = assign(world, app, world.reviewers[0], world.reviewers[1])
    with pytest.raises(ValidationError):
        services.review_declare_conflict(actor=world.reviewers[0], review_id=first.pk, reason="  ")
    services.review_declare_conflict(actor=world.reviewers[0], review_id=first.pk, reason="I advised them in 2023.")
    first.refresh_from_db()
    assert first.state == ReviewState.CONFLICTED and first.conflict_reason == "I advised them in 2023."
    note = Notification.objects.get(kind="review_conflict_declared")
    assert note.recipient == world.manager and "advised" in note.context["reason"]
    assert AuditEvent.objects.filter(action="declare_conflict", object_id=str(first.pk)).exists()
    result = services.reviews_assign_auto(actor=world.manager, call_id=world.call.pk)
    topped_up = [r for r in result.created if r.application_id == app.pk]
    assert len(topped_up) == 1 and topped_up[0].reviewer_id not in (world.reviewers[0].pk, world.reviewers[1].pk)
    with pytest.raises(ValidationError) as exc:
        assign(world, app, world.reviewers[0])
    assert "conflict" in str(exc.value)


def test_manual_assignment_says_why_a_reviewer_cannot_review(world):
    Call.objects.filter(pk=world.call.pk).update(reviewers_not_from_applicant_country=True)
    ua_app = world.apps[0]
    Membership.objects.create(organisation=world.orgs[0], user=world.reviewers[1], role="member")
    with pytest.raises(ValidationError, match="member of the applicant organisation"):
        assign(world, ua_app, world.reviewers[1])
    with pytest.raises(ValidationError, match="applicant's country"):
        assign(world, ua_app, world.reviewers[2])
    outsider = User.objects.create_user(email="outsider@x.org")
    with pytest.raises(ValidationError, match="not in the programme's reviewer pool"):
        services.review_assign(actor=world.manager, application_id=ua_app.pk, reviewer_id=outsider.pk)
    assign(world, ua_app, world.reviewers[0])
    with pytest.raises(ValidationError, match="already assigned"):
        assign(world, ua_app, world.reviewers[0])
    with pytest.raises(PermissionDenied):
        services.review_assign(actor=world.reviewers[3], application_id=ua_app.pk, reviewer_id=world.reviewers[3].pk)


def test_inactive_reviewers_are_left_out_of_automatic_assignment(world):
    for reviewer in world.reviewers[1:]:
        services.reviewer_set_active(
            actor=world.manager, programme_id=world.programme.pk, user_id=reviewer.pk, active=False
        )
    result = services.reviews_assign_auto(actor=world.manager, call_id=world.call.pk)
    assert {r.reviewer_id for r in result.created} == {world.reviewers[0].pk}
    assert [(a.pk, n) for a, n in result.short] == [(a.pk, 1) for a in world.apps]


# --- declaration and scoring ------------------------------------------------------------------


def test_declare_score_save_draft_submit_and_the_application_is_reviewed(world):
    app = world.apps[0]
    mine, other = assign(world, app, world.reviewers[0], world.reviewers[1])
    reviewer = world.reviewers[0]
    with pytest.raises(TransitionRefused):  # no scoring before the declaration
        services.review_save(actor=reviewer, review_id=mine.pk, scores={})
    with pytest.raises(PermissionDenied):  # only the reviewer declares
        services.review_declare_no_conflict(actor=world.reviewers[1], review_id=mine.pk)
    services.review_declare_no_conflict(actor=reviewer, review_id=mine.pk)
    mine.refresh_from_db()
    assert mine.state == ReviewState.ACCEPTED and mine.declared_at is not None
    assert Score.objects.filter(review=mine).count() == 3
    c1, c2, c3 = world.criteria
    with pytest.raises(ValidationError) as exc:
        services.review_save(actor=reviewer, review_id=mine.pk, scores={c1.pk: {"score": "4.25"}})
    assert f"score_{c1.pk}" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.review_save(actor=reviewer, review_id=mine.pk, scores={c1.pk: {"score": "5.5"}})
    with pytest.raises(PermissionDenied):
        services.review_save(actor=world.reviewers[1], review_id=mine.pk, scores={c1.pk: {"score": "1"}})
    # A draft: one criterion scored and commented, a short comment on another.
    services.review_save(
        actor=reviewer,
        review_id=mine.pk,
        scores={c1.pk: {"score": "4.5", "comment": COMMENT}, c2.pk: {"score": "3", "comment": "Too short."}},
    )
    with pytest.raises(ValidationError) as exc:
        services.review_submit(actor=reviewer, review_id=mine.pk)
    errors = exc.value.error_dict
    assert set(errors) == {f"comment_{c2.pk}", f"score_{c3.pk}", f"comment_{c3.pk}", "recommendation"}
    assert "50 characters" in " ".join(errors[f"comment_{c2.pk}"][0].messages)
    assert Score.objects.get(review=mine, criterion=c1).score == Decimal("4.5")  # the draft is kept
    # Submitting with the rest saves it first, then submits.
    services.review_submit(
        actor=reviewer,
        review_id=mine.pk,
        recommendation="fund",
        scores={c2.pk: {"score": "3.5", "comment": COMMENT}, c3.pk: {"score": "4", "comment": COMMENT}},
    )
    mine.refresh_from_db()
    assert mine.state == ReviewState.SUBMITTED and mine.weighted_total == Decimal("16.50")  # 4.5x2 + 3.5 + 4
    event = AuditEvent.objects.get(action="submit", object_id=str(mine.pk))
    assert event.data["weighted_total"] == "16.50" and event.actor == reviewer
    assert state_of(app) == ApplicationState.UNDER_REVIEW  # one review still open
    with pytest.raises(TransitionRefused):
        services.review_save(actor=reviewer, review_id=mine.pk, scores={c1.pk: {"score": "1"}})
    score_and_submit(other, (3, 3, 3))
    assert state_of(app) == ApplicationState.REVIEWED
    assert AuditEvent.objects.filter(action="complete_review", object_id=str(app.pk)).count() == 1


def test_a_conflict_on_the_last_open_review_completes_the_application(world):
    app = world.apps[0]
    done, conflicted = assign(world, app, world.reviewers[0], world.reviewers[1])
    score_and_submit(done, (4, 4, 4))
    assert state_of(app) == ApplicationState.UNDER_REVIEW
    services.review_declare_conflict(actor=world.reviewers[1], review_id=conflicted.pk, reason="My former employer.")
    assert state_of(app) == ApplicationState.REVIEWED


def test_the_manager_returns_a_review_for_revision(world):
    app = world.apps[0]
    (review,) = assign(world, app, world.reviewers[0])
    score_and_submit(review, (4, 4, 4))
    with pytest.raises(PermissionDenied):
        services.review_return(actor=world.reviewers[0], review_id=review.pk, comment="Please expand.")
    with pytest.raises(ValidationError):
        services.review_return(actor=world.manager, review_id=review.pk, comment="")
    services.review_return(actor=world.manager, review_id=review.pk, comment="Comment on sustainability, please.")
    review.refresh_from_db()
    assert review.state == ReviewState.RETURNED and review.returned_comment.startswith("Comment on")
    assert review.due_at > timezone.now() + timedelta(days=6)
    note = Notification.objects.get(kind="review_returned")
    assert note.recipient == world.reviewers[0] and "sustainability" in note.context["comment"]
    score_and_submit(review, (4.5, 4, 4))
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED and review.weighted_total == Decimal("17.00")


# --- consensus and decisions ------------------------------------------------------------------


def decide_ready(world):
    Call.objects.filter(pk=world.call.pk).update()  # (the call moved to reviewing with the first assignment)
    return world


def test_divergence_blocks_the_award_until_a_consensus_is_recorded(world):
    app = reviewed(world, world.apps[0], (5, 4.5, 4.5), (3, 3, 3))  # 19 and 12: spread 7 > 3
    with pytest.raises(ValidationError, match="diverge"):
        services.application_award(actor=world.manager, application_id=app.pk)
    with pytest.raises(ValidationError) as exc:
        services.consensus_record(actor=world.manager, application_id=app.pk, score="21", justification="short")
    assert set(exc.value.error_dict) == {"score", "justification"}
    with pytest.raises(PermissionDenied):
        services.consensus_record(
            actor=world.reviewers[0],
            application_id=app.pk,
            score="15",
            justification="The panel met and agreed on fifteen points.",
        )
    services.consensus_record(
        actor=world.manager,
        application_id=app.pk,
        score="15",
        justification="The panel met and agreed on fifteen points.",
    )
    event = AuditEvent.objects.get(action="consensus_record")
    assert event.data["score"] == "15.00" and event.data["reviewers_mean"] == "15.50" and "panel" in event.reason
    services.application_award(actor=world.manager, application_id=app.pk)
    assert state_of(app) == ApplicationState.AWARDED


def test_awards_never_exceed_the_envelope_and_applicants_get_anonymous_feedback(world):
    apps = [reviewed(world, app, (4, 4, 4), (4.5, 4, 4)) for app in world.apps]  # 40,000 requested each
    first, second, third = apps
    services.application_award(actor=world.manager, application_id=first.pk, note="Congratulations.")
    with pytest.raises(ValidationError, match="at most"):
        services.application_award(actor=world.manager, application_id=second.pk, amount="40000.01")
    services.application_award(actor=world.manager, application_id=second.pk, amount="35000")
    assert Call.objects.get(pk=world.call.pk).awarded_total == Decimal("75000")
    with pytest.raises(ValidationError) as exc:
        services.application_award(actor=world.manager, application_id=third.pk)
    assert "Only 25000.00 EUR of the envelope is left" in " ".join(exc.value.messages)
    assert state_of(third) == ApplicationState.REVIEWED
    services.application_reserve(actor=world.manager, application_id=third.pk)
    # Money left in the envelope: the reserve application is awarded a reduced amount.
    services.application_award(actor=world.manager, application_id=third.pk, amount="25000")
    call = Call.objects.get(pk=world.call.pk)
    assert call.awarded_total == call.envelope.amount == Decimal("100000")
    assert Application.objects.get(pk=second.pk).awarded_amount == Decimal("35000")
    award = AuditEvent.objects.filter(action="award", object_id=str(second.pk)).get()
    assert award.data["amount"] == "35000.00" and award.data["awarded_total"] == "75000.00"
    # The applicant is told, with each criterion's mean and the comments, and no reviewer's name.
    note = Notification.objects.get(kind="application_decided", object_id=str(first.pk))
    assert note.recipient == world.applicants[0]
    assert note.context["decision"] == "awarded" and note.context["amount"] == "40000.00"
    assert [c["mean"] for c in note.context["criteria"]] == ["4.25", "4.00", "4.00"]
    assert note.context["criteria"][0]["comments"] == [COMMENT, COMMENT]
    outbox_relay_all()
    body = next(m.body for m in mail.outbox if m.to == [world.applicants[0].email] and "Decision" in m.subject)
    assert "40,000.00" in body or "40000.00" in body
    assert COMMENT in body and "Congratulations." in body
    for reviewer in world.reviewers:
        assert reviewer.email not in body and reviewer.full_name not in body


def test_decide_down_the_ranking(world, make_org, make_user):
    # Scores 18, 16 and 14 for 40k each in a 100k envelope; a fourth is below a criterion minimum.
    a, b, c = world.apps
    owner = make_user("owner4@cso.org")
    from tests.factories import application_in_state

    weak = application_in_state(
        world.call, make_org(owner, country="MD"), owner, ApplicationState.ELIGIBLE, requested="20000", title="Weak"
    )
    reviewed(world, a, (4.5, 4.5, 4.5))
    reviewed(world, b, (4, 4, 4))
    reviewed(world, c, (3.5, 3.5, 3.5))
    reviewed(world, weak, (5, 2, 5))
    with pytest.raises(PermissionDenied):
        services.ranking_decide_down(actor=world.reviewers[0], call_id=world.call.pk)
    done = services.ranking_decide_down(actor=world.manager, call_id=world.call.pk)
    assert done.awarded == [a.pk, b.pk] and done.reserved == [c.pk] and done.rejected == [weak.pk]
    assert [state_of(x) for x in (a, b, c, weak)] == ["awarded", "awarded", "reserve", "rejected"]
    assert "Criterion 2" in Application.objects.get(pk=weak.pk).decision_note
    assert Call.objects.get(pk=world.call.pk).awarded_total == Decimal("80000")
    with pytest.raises(TransitionRefused):
        services.application_reserve(actor=world.manager, application_id=a.pk)
    services.selection_close(actor=world.manager, call_id=world.call.pk)
    assert state_of(world.call) == CallState.DECIDED
    # Money is still there for the reserve list after the call is decided.
    services.application_award(actor=world.manager, application_id=c.pk, amount="20000")
    assert state_of(c) == "awarded"


def test_selection_cannot_close_with_undecided_applications(world):
    reviewed(world, world.apps[0], (4, 4, 4))
    with pytest.raises(ValidationError, match="not decided"):
        services.selection_close(actor=world.manager, call_id=world.call.pk)


def test_not_fundable_applications_cannot_be_awarded(world):
    app = reviewed(world, world.apps[0], (5, 2.5, 5))
    with pytest.raises(ValidationError, match="not fundable"):
        services.application_award(actor=world.manager, application_id=app.pk)
    services.application_reject(actor=world.manager, application_id=app.pk, note="Below the design minimum.")
    assert state_of(app) == "rejected"


def test_decisions_wait_for_the_call_to_be_under_review(world):
    app = world.apps[0]
    open_call_app_state = state_of(app)
    assert open_call_app_state == ApplicationState.ELIGIBLE
    with pytest.raises(TransitionRefused):
        services.application_reject(actor=world.manager, application_id=app.pk)  # the call is still closed


# --- the reviewer pool ------------------------------------------------------------------------


def test_inviting_a_new_reviewer_creates_the_account_role_and_profile(world, client):
    user = services.reviewer_invite(
        actor=world.manager,
        programme_id=world.programme.pk,
        email=" Ani@Experts.AM ",
        full_name="Ani Hakobyan",
        expertise="procurement, audit",
        languages=["hy", "en"],
        countries=["am"],
    )
    assert user.email == "ani@experts.am" and not user.has_usable_password()
    assert ProgrammeRole.objects.filter(user=user, programme=world.programme, role="reviewer").exists()
    profile = ReviewerProfile.objects.get(user=user)
    assert profile.expertise == ["procurement", "audit"] and profile.countries == ["AM"]
    assert AuditEvent.objects.filter(action="reviewer_invite").exists()
    outbox_relay_all()
    message = mail.outbox[-1]
    assert message.to == ["ani@experts.am"] and "EU for Integrity" in message.subject
    link = next(word for word in message.body.split() if "/accounts/password/reset/key/" in word)
    path = link.split("://", 1)[-1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else "/" + path,
        {"password1": "Vardavar-2026-hy", "password2": "Vardavar-2026-hy"},
        follow=True,
    )
    user.refresh_from_db()
    assert user.has_usable_password()
    client.logout()
    response = client.post("/accounts/login/", {"login": "ani@experts.am", "password": "Vardavar-2026-hy"})
    assert response.status_code == 302
    assert client.get("/reviews/").status_code == 200
    # Inviting an existing user only adds the role (no password link).
    again = services.reviewer_invite(
        actor=world.manager, programme_id=world.programme.pk, email=world.applicants[0].email
    )
    assert again == world.applicants[0]
    assert (
        Notification.objects.filter(kind="reviewer_invitation", email=again.email).get().context["set_password_path"]
        == ""
    )
    with pytest.raises(PermissionDenied):
        services.reviewer_invite(actor=world.reviewers[0], programme_id=world.programme.pk, email="x@y.org")


def test_every_review_message_renders_in_the_recipients_words(world):
    """Assignment, conflict, return and decision messages: subject and body from the outbox row."""
    from workers.rendering import notification_render

    app = world.apps[0]
    first, second = assign(world, app, world.reviewers[0], world.reviewers[1])
    services.review_declare_conflict(actor=world.reviewers[1], review_id=second.pk, reason="I'm on their board.")
    score_and_submit(first, (4, 4, 4))
    services.review_return(actor=world.manager, review_id=first.pk, comment="Say more about risks.")
    score_and_submit(first, (4, 4, 4))
    services.application_award(actor=world.manager, application_id=app.pk, amount="30000")
    rendered = {n.kind: notification_render(n) for n in Notification.objects.all()}
    subject, body = rendered["review_assigned"]
    assert subject == f"Application to review: {app.title}" and "/reviews/" in body and "Call adv" in body
    assert str(timezone.localtime(first.due_at).year) in body
    subject, body = rendered["review_conflict_declared"]
    assert "I'm on their board." in body and "&#x27;" not in body
    subject, body = rendered["review_returned"]
    assert "Say more about risks." in body
    subject, body = rendered["application_decided"]
    assert subject == f"Decision on your application: {app.title}"
    assert "awarded a grant of 30,000.00 EUR" in body and "Criterion 1: 4.00 / 5" in body and COMMENT in body
