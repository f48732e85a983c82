"""Assigning reviewers, by hand or automatically: never a member of the applicant organisation,
never one who declared a conflict with it, optionally never one from its country.

Lock order, everywhere in review: Call, then Application, then Review. Messages are outbox rows
written in the same transaction."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, ProgrammeRole
from accounts.roles import REVIEWER
from applications.models import Application, ApplicationState
from applications.review.models import Review, ReviewerProfile, ReviewState
from applications.review.ranking import assessments_refresh
from applications.services import applications_selected
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.bulk import BulkResult, bulk_run
from core.clock import database_now
from core.errors import TransitionRefused
from core.languages import message_texts
from core.shortcuts import get_permitted_or_403
from grants.calls.models import Call, CallState
from workers.messenger import notify_user

OPEN_CALL_STATES = [CallState.OPEN, CallState.CLOSED, CallState.REVIEWING]


ASSIGNABLE = [ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]


IN_REVIEW = [ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]


def _call_titles(call) -> dict:
    """The call's title for a message context, with the variants the relay picks by language."""
    return message_texts("call", call, "title")


def _require(condition, message):
    if not condition:
        raise PermissionDenied(message or _("You may not do this."))


def _call_ready_for_review(*, actor, call: Call) -> Call:
    if call.state not in OPEN_CALL_STATES:
        raise TransitionRefused(_("Reviewers can be assigned only while the call is open, closed or under review."))
    if call.state == CallState.CLOSED:
        with transaction.atomic():
            call = lock(Call, call.pk)
            check(actor, call, "start_review", permission="applications.assign_reviewers")
            transition(call, "start_review", actor=actor, reason="first reviewer assigned")
    return call


def _assignment_problem(call, organisation, reviewer_id, profile, member_ids, existing: dict) -> str | None:
    """Why this reviewer cannot review this application, or None."""
    if reviewer_id in member_ids:
        return _("is a member of the applicant organisation")
    state = existing.get(reviewer_id)
    if state == ReviewState.CONFLICTED:
        return _("declared a conflict of interest with this application")
    if state is not None:
        return _("is already assigned to this application")
    if profile is not None and not profile.active:
        return _("is not active in the reviewer pool")
    if (
        call.reviewers_not_from_applicant_country
        and profile is not None
        and organisation.country in (profile.countries or [])
    ):
        return _("is from the applicant's country")
    return None


def _assign_locked(*, actor, call: Call, application: Application, reviewer, automatic: bool) -> Review:
    """Create the review; the caller holds the application's row lock (`application` is that row,
    read under the lock). The first review puts an eligible application under review."""
    due = timezone.now() + timedelta(days=call.review_days)
    review = Review.objects.create(application=application, reviewer=reviewer, assigned_by=actor, due_at=due)
    event = audit_record(
        actor=actor,
        action="review_assign",
        obj=review,
        to_state=review.state,
        data={
            "application": application.pk,
            "reference": application.reference or "",
            "reviewer": reviewer.email,
            "due_at": due.isoformat(),
            "automatic": automatic,
        },
    )
    notify_user(
        kind="review_assigned",
        user=reviewer,
        obj=review,
        key=str(event.seq),
        context={
            "application": application.title,
            **_call_titles(call),
            "due": due.isoformat(),
            "path": reverse("reviews:review_detail", args=[review.pk]),
        },
    )
    if application.state == ApplicationState.ELIGIBLE:
        check(actor, application, "start_review", permission="applications.assign_reviewers")
        transition(application, "start_review", actor=actor, reason="reviewer assigned")
    assessments_refresh(call, [application.pk])  # one more review pending
    return review


def review_assign(*, actor, application_id: int, reviewer_id: int) -> Review:
    """Assign one reviewer by hand (also to add a reviewer to a divergent application)."""
    User = get_user_model()
    application = Application.objects.select_related("call", "organisation").get(pk=application_id)
    _require(actor.has_perm("applications.assign_reviewers", application), None)
    call = _call_ready_for_review(actor=actor, call=application.call)
    if not ProgrammeRole.objects.filter(programme_id=call.programme_id, user_id=reviewer_id, role=REVIEWER).exists():
        raise ValidationError({"reviewer": _("This person is not in the programme's reviewer pool.")})
    reviewer = User.objects.get(pk=reviewer_id)
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application_id)
            if application.state not in ASSIGNABLE:
                raise TransitionRefused(
                    _("Reviewers can be assigned only to eligible applications that are not decided yet.")
                )
            existing = dict(Review.objects.filter(application=application).values_list("reviewer_id", "state"))
            members = set(
                Membership.objects.filter(organisation_id=application.organisation_id).values_list("user_id", flat=True)
            )
            problem = _assignment_problem(
                call,
                application.organisation,
                reviewer.pk,
                ReviewerProfile.objects.filter(user=reviewer).first(),
                members,
                existing,
            )
            if problem:
                raise ValidationError(
                    {"reviewer": _("%(reviewer)s %(problem)s.") % {"reviewer": reviewer, "problem": problem}}
                )
            return _assign_locked(actor=actor, call=call, application=application, reviewer=reviewer, automatic=False)
    except IntegrityError:  # the same assignment made a moment ago
        raise ValidationError(
            {"reviewer": _("%(reviewer)s is already assigned to this application.") % {"reviewer": reviewer}}
        )


@dataclass
class AutoAssignment:
    created: list[Review] = field(default_factory=list)
    short: list[tuple[Application, int]] = field(default_factory=list)  # (application, reviewers missing)


def reviews_assign_auto(*, actor, call_id: int) -> AutoAssignment:
    """Give every eligible application or application under review the call's number of
    reviewers: least-loaded reviewers first, never a member of the applicant organisation,
    never one who declared a conflict with it, optionally never one from its country."""
    User = get_user_model()
    call = get_permitted_or_403(actor, Call, call_id, "applications.assign_reviewers")
    call = _call_ready_for_review(actor=actor, call=call)
    pool = list(
        User.objects.filter(programme_roles__programme_id=call.programme_id, programme_roles__role=REVIEWER)
        .select_related("reviewer_profile")
        .order_by("pk")
    )
    profiles = {u.pk: getattr(u, "reviewer_profile", None) for u in pool}
    pool = [u for u in pool if profiles[u.pk] is None or profiles[u.pk].active]  # type: ignore[union-attr]
    load = dict(
        Review.objects.filter(application__call=call)
        .exclude(state=ReviewState.CONFLICTED)
        .order_by()
        .values_list("reviewer_id")
        .annotate(n=Count("pk"))
    )
    elsewhere = dict(
        Review.objects.filter(state__in=[ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED])
        .exclude(application__call=call)
        .order_by()
        .values_list("reviewer_id")
        .annotate(n=Count("pk"))
    )
    applications = list(
        Application.objects.filter(call=call, state__in=[ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW])
        .select_related("organisation")
        .order_by("submitted_at", "pk")
    )
    members: dict[int, set[int]] = {}
    for org_id, user_id in Membership.objects.filter(
        organisation_id__in={a.organisation_id for a in applications}
    ).values_list("organisation_id", "user_id"):
        members.setdefault(org_id, set()).add(user_id)
    result = AutoAssignment()
    for application in applications:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if locked.state not in (ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW):
                continue
            existing = dict(Review.objects.filter(application=locked).values_list("reviewer_id", "state"))
            needed = call.reviewers_per_application - sum(1 for s in existing.values() if s != ReviewState.CONFLICTED)
            if needed <= 0:
                continue
            candidates = sorted(
                (
                    u
                    for u in pool
                    if _assignment_problem(
                        call,
                        application.organisation,
                        u.pk,
                        profiles[u.pk],
                        members.get(application.organisation_id, set()),
                        existing,
                    )
                    is None
                ),
                key=lambda u: (load.get(u.pk, 0), elsewhere.get(u.pk, 0), u.pk),
            )
            for reviewer in candidates[:needed]:
                review = _assign_locked(actor=actor, call=call, application=locked, reviewer=reviewer, automatic=True)
                load[reviewer.pk] = load.get(reviewer.pk, 0) + 1
                result.created.append(review)
            if len(candidates) < needed:
                result.short.append((application, needed - len(candidates)))
    return result


def review_extend(*, actor, review_id: int, due_at, reason: str) -> Review:
    """The manager gives a reviewer more time: a new due date (in the future by the database's
    clock) for a review not yet submitted, with the reason on record; the reviewer is told."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why the reviewer gets more time.")
    with transaction.atomic():
        review = lock(Review, review_id)
        _require(actor.has_perm("applications.assign_reviewers", review), None)
        if review.state not in (ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED):
            raise TransitionRefused(_("Only a review that is still being written can get more time."))
        if due_at is None or due_at <= database_now():
            errors["due_at"] = _("Choose a due date in the future.")
        if errors:
            raise ValidationError(errors)
        previous, review.due_at = review.due_at, due_at
        review.save(update_fields=["due_at"])
        event = audit_record(
            actor=actor,
            action="review_extend",
            obj=review,
            reason=reason,
            data={"from": previous.isoformat(), "to": due_at.isoformat()},
        )
        application = Application.objects.select_related("call").get(pk=review.application_id)
        notify_user(
            kind="review_due_extended",
            user=review.reviewer,
            obj=review,
            key=str(event.seq),
            context={
                "application": application.title,
                **_call_titles(application.call),
                "due": due_at.isoformat(),
                "reason": reason,
                "path": reverse("reviews:review_detail", args=[review.pk]),
            },
        )
    return review


def reviews_assign_selected(*, actor, call_id: int, application_ids, reviewer_id: int) -> BulkResult:
    """Assign one reviewer to several selected applications of a call (`core.bulk`): each through
    `review_assign`, so every rule holds per application (never one's own organisation, never one
    already assigned or conflicted) and a refusal leaves the others assigned."""
    selected = applications_selected(actor=actor, call_id=call_id, application_ids=application_ids)
    return bulk_run(selected, lambda app: review_assign(actor=actor, application_id=app.pk, reviewer_id=reviewer_id))
