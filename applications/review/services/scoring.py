"""The reviewer's part: the declaration of (no) conflict of interest, the score sheet, the
submission, and the manager's return of a review and consensus score.

Lock order, everywhere in review: Call, then Application, then Review. Messages are outbox rows
written in the same transaction."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import MANAGER, roles_forget
from applications.models import Application, ApplicationState
from applications.review.models import Recommendation, Review, ReviewState, Score
from applications.review.ranking import (
    application_assessed,
    assessments_refresh,
    max_weighted_total,
    rubric_from,
    score_is_valid,
    weighted_total,
)
from applications.review.services.assignment import IN_REVIEW, _call_titles, _require
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.clock import database_now, moment_text
from core.errors import TransitionRefused
from core.money import cents
from grants.calls.models import Call, Criterion
from workers.messenger import notify_user

SCORING_STATES = [ReviewState.ACCEPTED, ReviewState.RETURNED]


JUSTIFICATION_MIN_CHARS = 20


RETURN_DAYS = 7


def _review_application_id(review_id) -> int:
    return Review.objects.values_list("application_id", flat=True).get(pk=review_id)


def review_declare_no_conflict(*, actor, review_id: int) -> Review:
    """The reviewer signs that they have no conflict of interest; only now do they see the
    application. An empty score sheet is prepared for every criterion."""
    application_id = _review_application_id(review_id)
    with transaction.atomic():
        lock(Application, application_id)  # the lock order: Application, then Review
        review = lock(Review, review_id)
        check(actor, review, "declare_no_conflict", permission="applications.declare_review")
        state, call_id = Application.objects.values_list("state", "call_id").get(pk=review.application_id)
        if state not in IN_REVIEW:
            raise TransitionRefused(_("This application is no longer under review."))
        review.declared_at = timezone.now()
        transition(review, "declare_no_conflict", actor=actor)
        criteria = Criterion.objects.filter(call_id=call_id).values_list("pk", flat=True)
        Score.objects.bulk_create([Score(review=review, criterion_id=pk) for pk in criteria], ignore_conflicts=True)
        assessments_refresh(Call.objects.get(pk=call_id), [review.application_id])
    roles_forget(actor)  # the application is now visible to the reviewer (applications.visibility)
    return review


def review_declare_conflict(*, actor, review_id: int, reason: str) -> Review:
    """The reviewer declares a conflict, before reading the application or at any time after (a
    conflict found late): the assignment ends, the reviewer's access ends at the next request, a
    score already given is withdrawn from the ranking, and the managers are told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Describe the conflict of interest.")})
    application_id = _review_application_id(review_id)
    with transaction.atomic():
        application = lock(Application, application_id)
        review = lock(Review, review_id)
        check(actor, review, "declare_conflict", permission="applications.declare_review")
        late = review.state != ReviewState.ASSIGNED
        withdrawn = review.weighted_total if review.state == ReviewState.SUBMITTED else None
        if not late:
            review.declared_at = timezone.now()
        review.conflict_reason = reason
        review.conflict_late = late
        event = transition(
            review, "declare_conflict", actor=actor, reason=reason, data={"late": late, "withdrawn_total": withdrawn}
        )
        call = application.call
        managers = (
            get_user_model()
            .objects.filter(programme_roles__programme_id=call.programme_id, programme_roles__role=MANAGER)
            .distinct()
        )
        for manager in managers:
            notify_user(
                kind="review_conflict_declared",
                user=manager,
                obj=review,
                key=str(event.seq),
                context={
                    "reviewer": str(actor),
                    "application": application.reference or application.title,
                    **_call_titles(call),
                    "reason": reason,
                    "late": late,
                    "withdrawn": "" if withdrawn is None else str(withdrawn),
                    "path": reverse("reviews:review_application", args=[application.pk])
                    if late
                    else reverse("reviews:review_call_assignments", args=[application.call_id]),
                },
            )
        _complete_if_done(actor=actor, application=application)
        assessments_refresh(call, [application.pk])  # a late conflict withdraws a score
    return review


def _refuse_if_overdue(review: Review) -> None:
    """A review is accepted until its due date by the database's clock (one clock for every web
    node); the programme manager can give more time (review_extend). Drafts can still be saved."""
    if database_now() > review.due_at:
        raise TransitionRefused(
            _(
                "This review was due on %(due)s and can no longer be submitted. Your draft is saved; ask the "
                "programme manager for more time."
            )
            % {"due": moment_text(review.due_at)}
        )


def _parse_score(raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        return Decimal("NaN")


def review_save(
    *,
    actor,
    review_id: int,
    scores: dict | None = None,
    recommendation: str | None = None,
    overall_comment: str | None = None,
) -> Review:
    """Save the reviewer's draft: scores (0 to the maximum in half points) and comments per
    criterion, recommendation, overall comment. `scores`: {criterion id: {"score", "comment"}}."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        _require(actor.has_perm("applications.score_review", review), None)
        if review.state not in SCORING_STATES:
            raise TransitionRefused(_("This review can no longer be changed."))
        call = Application.objects.select_related("call").get(pk=review.application_id).call
        criteria = {c.pk: c for c in call.criteria.all()}
        errors = {}
        existing = {s.criterion_id: s for s in review.scores.all()}
        changed: list[Score] = []
        created: list[Score] = []
        for raw_id, entry in (scores or {}).items():
            try:
                criterion = criteria[int(raw_id)]
            except (KeyError, ValueError, TypeError):
                errors["scores"] = _("A score names a criterion that is not in this call's rubric.")
                continue
            entry = entry or {}
            value = _parse_score(entry.get("score"))
            if value is not None and not score_is_valid(value, criterion.max_score):
                errors[f"score_{criterion.pk}"] = _("Give a score from 0 to %(max)s in half points.") % {
                    "max": criterion.max_score
                }
                continue
            score = existing.get(criterion.pk) or Score(review=review, criterion=criterion)
            score.score = value
            if "comment" in entry:
                score.comment = (entry.get("comment") or "").strip()
            (changed if score.pk else created).append(score)
        if recommendation is not None:
            if recommendation and recommendation not in Recommendation.values:
                errors["recommendation"] = _("Choose a recommendation from the list.")
            else:
                review.recommendation = recommendation
        if overall_comment is not None:
            review.overall_comment = overall_comment.strip()
        if errors:
            raise ValidationError(errors)
        Score.objects.bulk_update(changed, ["score", "comment"]) if changed else None
        Score.objects.bulk_create(created) if created else None
        review.save(update_fields=["recommendation", "overall_comment"])
    return review


def review_problems(review, call, rubric_criteria, scores: dict) -> dict:
    """What keeps a review from being submitted, per field."""
    errors = {}
    minimum = call.review_comment_min_chars
    for criterion in rubric_criteria:
        score = scores.get(criterion.pk)
        if score is None or score.score is None:
            errors[f"score_{criterion.pk}"] = _("Score this criterion.")
        if score is None or len(score.comment.strip()) < minimum:
            errors[f"comment_{criterion.pk}"] = _("Write a comment of at least %(n)s characters.") % {"n": minimum}
    if not review.recommendation:
        errors["recommendation"] = _("Give a recommendation.")
    return errors


def review_submit(
    *,
    actor,
    review_id: int,
    scores: dict | None = None,
    recommendation: str | None = None,
    overall_comment: str | None = None,
) -> Review:
    """Submit the review (saving what is given first, so nothing typed is lost when the
    submission is refused). When every non-conflicted review of the application is submitted,
    the application is reviewed."""
    if scores is not None or recommendation is not None or overall_comment is not None:
        review_save(
            actor=actor,
            review_id=review_id,
            scores=scores,
            recommendation=recommendation,
            overall_comment=overall_comment,
        )
    application_id = _review_application_id(review_id)
    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("call").get(pk=application_id)
        review = lock(Review, review_id)
        check(actor, review, "submit", permission="applications.score_review")
        _refuse_if_overdue(review)
        criteria = list(application.call.criteria.order_by("position"))
        current = {s.criterion_id: s for s in review.scores.all()}
        errors = review_problems(review, application.call, criteria, current)
        if errors:
            raise ValidationError(errors)
        total = weighted_total({cid: s.score for cid, s in current.items()}, rubric_from(criteria))
        review.weighted_total = total
        review.submitted_at = timezone.now()
        transition(
            review,
            "submit",
            actor=actor,
            data={
                "weighted_total": total,
                "recommendation": review.recommendation,
                "scores": {str(cid): s.score for cid, s in current.items()},
            },
        )
        _complete_if_done(actor=actor, application=application)
        assessments_refresh(application.call, [application.pk])
    return review


def _complete_if_done(*, actor, application: Application) -> None:
    """Inside the caller's transaction, with `application` read under its row lock: reviewed once
    every review that is not conflicted is submitted."""
    states = list(
        Review.objects.filter(application_id=application.pk)
        .exclude(state=ReviewState.CONFLICTED)
        .values_list("state", flat=True)
    )
    if (
        application.state == ApplicationState.UNDER_REVIEW
        and states
        and all(s == ReviewState.SUBMITTED for s in states)
    ):
        check(actor, application, "complete_review")
        transition(
            application, "complete_review", actor=actor, reason="all reviews submitted", data={"reviews": len(states)}
        )


def review_return(*, actor, review_id: int, comment: str) -> Review:
    """The manager sends a submitted review back to its reviewer with a comment."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what the reviewer should revise.")})
    application_id = _review_application_id(review_id)
    with transaction.atomic():
        lock(Application, application_id)  # the lock order: Application, then Review
        review = lock(Review, review_id)
        check(actor, review, "return_for_revision", permission="applications.return_review")
        application = Application.objects.select_related("call").get(pk=review.application_id)
        if application.state not in IN_REVIEW:
            raise TransitionRefused(_("The application is decided; its reviews can no longer be returned."))
        review.returned_comment = comment
        review.due_at = max(review.due_at, timezone.now() + timedelta(days=RETURN_DAYS))
        event = transition(review, "return_for_revision", actor=actor, reason=comment)
        assessments_refresh(application.call, [application.pk])
        notify_user(
            kind="review_returned",
            user=review.reviewer,
            obj=review,
            key=str(event.seq),
            context={
                "application": application.title,
                **_call_titles(application.call),
                "comment": comment,
                "due": review.due_at.isoformat(),
                "path": reverse("reviews:review_detail", args=[review.pk]),
            },
        )
    return review


def application_assessment(application, call=None):
    """The aggregated assessment of one application (ranking rules): two queries."""
    call = call or application.call
    rubric = rubric_from(call.criteria.order_by("position"))
    return rubric, application_assessed(call, rubric, application.pk)


def consensus_record(*, actor, application_id: int, score, justification: str) -> Application:
    """Record the consensus score that replaces the mean of the reviewers' totals."""
    justification = (justification or "").strip()
    errors = {}
    if len(justification) < JUSTIFICATION_MIN_CHARS:
        errors["justification"] = _("Justify the consensus score in at least %(n)s characters.") % {
            "n": JUSTIFICATION_MIN_CHARS
        }
    value = _parse_score(score)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        _require(actor.has_perm("applications.record_consensus", application), None)
        call = Call.objects.get(pk=application.call_id)
        top = max_weighted_total(rubric_from(call.criteria.all()))
        if value is None or not value.is_finite() or value < 0 or value > top:
            errors["score"] = _("Give a score from 0 to %(max)s.") % {"max": top}
        if errors:
            raise ValidationError(errors)
        if application.state not in IN_REVIEW:
            raise TransitionRefused(_("A consensus can be recorded only before the decision."))
        previous = application.consensus_score
        application.consensus_score = cents(value)
        application.consensus_justification = justification
        application.save(update_fields=["consensus_score", "consensus_justification"])
        _rubric, assessment = application_assessment(application, call)
        mean = assessment.mean_total if assessment else None
        assessments_refresh(call, [application.pk])
        audit_record(
            actor=actor,
            action="consensus_record",
            obj=application,
            reason=justification,
            data={
                "score": application.consensus_score,
                "previous": previous,
                "reviewers_mean": None if mean is None else cents(mean),
            },
        )
    return application
