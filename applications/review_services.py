"""Use cases of independent review and selection: the only writers of reviews, scores,
consensus scores and decisions.

Lock order, everywhere: Call, then Application, then Review. State changes go through
`transition_run`; other writes that matter call `audit_record` in their transaction; messages
are outbox rows written in the same transaction.
"""
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, ProgrammeRole
from accounts.roles import MANAGER, REVIEWER
from audit.services import audit_record
from audit.transitions import TransitionRefused, transition_run
from grants.models import Call, CallState, Programme
from workers.messenger import notify_user

from .models import Application, ApplicationState, Recommendation, Review, ReviewerProfile, ReviewState, Score
from .ranking import (assess, call_score_rows, cents, max_weighted_total, rubric_from, score_is_valid,
                      weighted_total)

OPEN_CALL_STATES = [CallState.OPEN, CallState.CLOSED, CallState.REVIEWING]
ASSIGNABLE = [ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]
IN_REVIEW = [ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED]
SCORING_STATES = [ReviewState.ACCEPTED, ReviewState.RETURNED]
DECISION_CALL_STATES = [CallState.REVIEWING, CallState.DECIDED]
JUSTIFICATION_MIN_CHARS = 20
RETURN_DAYS = 7


def _call_titles(call) -> dict:
    """The call's title for a message context, with the variants the relay picks by language."""
    return {"call": call.title, "call_uk": call.title_uk, "call_hy": call.title_hy}


def _require(condition, message):
    if not condition:
        raise PermissionDenied(message or _("You may not do this."))


# --- the reviewer pool ------------------------------------------------------------------------

def _clean_list(values) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    return [v.strip() for v in (values or []) if v and v.strip()]


def reviewer_invite(*, actor, programme_id: int, email: str, full_name: str = "", expertise=(), languages=(),
                    countries=()):
    """Add a person to a programme's reviewer pool: create the account if needed (its owner
    chooses a password from the e-mailed link), give the reviewer role, keep the profile."""
    from allauth.account import app_settings as allauth_settings
    from allauth.account.models import EmailAddress
    from allauth.account.utils import user_pk_to_url_str

    programme = Programme.objects.get(pk=programme_id)
    _require(actor.has_perm("applications.manage_reviewers", programme), None)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")})
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(email=email, password=None, full_name=(full_name or "").strip(),
                                            language=actor.language)
            # The link below reaches only this address, so the address counts as verified.
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        elif full_name and not user.full_name:
            User.objects.filter(pk=user.pk).update(full_name=full_name.strip())
        ProgrammeRole.objects.get_or_create(user=user, programme=programme, role=REVIEWER)
        ReviewerProfile.objects.update_or_create(user=user, defaults={
            "expertise": _clean_list(expertise), "languages": _clean_list(languages),
            "countries": [c.upper() for c in _clean_list(countries)], "active": True})
        event = audit_record(actor=actor, action="reviewer_invite", obj=programme,
                             data={"email": email, "account_created": created})
        set_password_path = ""
        if not user.has_usable_password():
            token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
            set_password_path = reverse("account_reset_password_from_key",
                                        kwargs={"uidb36": user_pk_to_url_str(user), "key": token})
        with translation.override(user.language):
            programme_title = programme.translated("title")
        notify_user(kind="reviewer_invitation", user=user, obj=programme, key=str(event.seq), context={
            "programme": programme_title, "inviter": str(actor), "path": reverse("review_home"),
            "set_password_path": set_password_path})
    return user


def reviewer_set_active(*, actor, programme_id: int, user_id: int, active: bool) -> ReviewerProfile:
    """Take a reviewer out of (or back into) automatic assignment; their reviews stay."""
    programme = Programme.objects.get(pk=programme_id)
    _require(actor.has_perm("applications.manage_reviewers", programme), None)
    if not ProgrammeRole.objects.filter(programme=programme, user_id=user_id, role=REVIEWER).exists():
        raise ValidationError({"reviewer": _("This person is not in the programme's reviewer pool.")})
    with transaction.atomic():
        profile, _created = ReviewerProfile.objects.select_for_update().get_or_create(user_id=user_id)
        profile.active = active
        profile.save(update_fields=["active"])
        audit_record(actor=actor, action="reviewer_activate" if active else "reviewer_deactivate", obj=profile,
                     data={"programme": programme.pk})
    return profile


# --- assignment -------------------------------------------------------------------------------

def _call_ready_for_review(*, actor, call: Call) -> Call:
    if call.state not in OPEN_CALL_STATES:
        raise TransitionRefused(_("Reviewers can be assigned only while the call is open, closed or under review."))
    if call.state == CallState.CLOSED:
        call = transition_run(model=Call, pk=call.pk, transition="start_review", actor=actor,
                              permission="applications.assign_reviewers", reason="first reviewer assigned")
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
    if call.reviewers_not_from_applicant_country and profile is not None and organisation.country in (profile.countries or []):
        return _("is from the applicant's country")
    return None


def _assign_locked(*, actor, call: Call, application: Application, reviewer, automatic: bool) -> Review:
    """Create the review; the caller holds the application's row lock."""
    due = timezone.now() + timedelta(days=call.review_days)
    review = Review.objects.create(application=application, reviewer=reviewer, assigned_by=actor, due_at=due)
    event = audit_record(actor=actor, action="review_assign", obj=review, to_state=review.state, data={
        "application": application.pk, "reference": application.reference or "", "reviewer": reviewer.email,
        "due_at": due.isoformat(), "automatic": automatic})
    notify_user(kind="review_assigned", user=reviewer, obj=review, key=str(event.seq), context={
        "application": application.title, **_call_titles(call), "due": due.isoformat(),
        "path": reverse("review_detail", args=[review.pk])})
    if application.state == ApplicationState.ELIGIBLE:
        transition_run(model=Application, pk=application.pk, transition="start_review", actor=actor,
                       permission="applications.assign_reviewers", reason="reviewer assigned")
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
                raise TransitionRefused(_("Reviewers can be assigned only to eligible applications that are not decided yet."))
            existing = dict(Review.objects.filter(application=application).values_list("reviewer_id", "state"))
            members = set(Membership.objects.filter(organisation_id=application.organisation_id).values_list("user_id", flat=True))
            problem = _assignment_problem(call, application.organisation, reviewer.pk,
                                          ReviewerProfile.objects.filter(user=reviewer).first(), members, existing)
            if problem:
                raise ValidationError({"reviewer": _("%(reviewer)s %(problem)s.") % {"reviewer": reviewer, "problem": problem}})
            return _assign_locked(actor=actor, call=call, application=application, reviewer=reviewer, automatic=False)
    except IntegrityError:  # the same assignment made a moment ago
        raise ValidationError({"reviewer": _("%(reviewer)s is already assigned to this application.") % {"reviewer": reviewer}})


@dataclass
class AutoAssignment:
    created: list[Review] = field(default_factory=list)
    short: list[tuple[Application, int]] = field(default_factory=list)   # (application, reviewers missing)


def reviews_assign_auto(*, actor, call_id: int) -> AutoAssignment:
    """Give every eligible application or application under review the call's number of
    reviewers: least-loaded reviewers first, never a member of the applicant organisation,
    never one who declared a conflict with it, optionally never one from its country."""
    User = get_user_model()
    call = Call.objects.get(pk=call_id)
    _require(actor.has_perm("applications.assign_reviewers", call), None)
    call = _call_ready_for_review(actor=actor, call=call)
    pool = list(User.objects.filter(programme_roles__programme_id=call.programme_id, programme_roles__role=REVIEWER)
                .select_related("reviewer_profile").order_by("pk"))
    profiles = {u.pk: getattr(u, "reviewer_profile", None) for u in pool}
    pool = [u for u in pool if profiles[u.pk] is None or profiles[u.pk].active]
    load = dict(Review.objects.filter(application__call=call).exclude(state=ReviewState.CONFLICTED).order_by()
                .values_list("reviewer_id").annotate(n=Count("pk")))
    elsewhere = dict(Review.objects.filter(state__in=[ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED])
                     .exclude(application__call=call).order_by().values_list("reviewer_id").annotate(n=Count("pk")))
    applications = list(Application.objects.filter(call=call, state__in=[ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW])
                        .select_related("organisation").order_by("submitted_at", "pk"))
    members: dict[int, set[int]] = {}
    for org_id, user_id in Membership.objects.filter(
            organisation_id__in={a.organisation_id for a in applications}).values_list("organisation_id", "user_id"):
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
                (u for u in pool if _assignment_problem(call, application.organisation, u.pk, profiles[u.pk],
                                                        members.get(application.organisation_id, set()), existing) is None),
                key=lambda u: (load.get(u.pk, 0), elsewhere.get(u.pk, 0), u.pk))
            for reviewer in candidates[:needed]:
                review = _assign_locked(actor=actor, call=call, application=locked, reviewer=reviewer, automatic=True)
                # after the first assignment the application is under review
                locked = Application.objects.get(pk=locked.pk)
                load[reviewer.pk] = load.get(reviewer.pk, 0) + 1
                result.created.append(review)
            if len(candidates) < needed:
                result.short.append((application, needed - len(candidates)))
    return result


# --- declarations -----------------------------------------------------------------------------

def _review_application_id(review_id) -> int:
    return Review.objects.values_list("application_id", flat=True).get(pk=review_id)


def review_declare_no_conflict(*, actor, review_id: int) -> Review:
    """The reviewer signs that they have no conflict of interest; only now do they see the
    application. An empty score sheet is prepared for every criterion."""
    def prepare(review):
        state = Application.objects.values_list("state", flat=True).get(pk=review.application_id)
        if state not in IN_REVIEW:
            raise TransitionRefused(_("This application is no longer under review."))
        review.declared_at = timezone.now()

    def effects(review, event):
        criteria = Application.objects.get(pk=review.application_id).call.criteria.values_list("pk", flat=True)
        Score.objects.bulk_create([Score(review=review, criterion_id=pk) for pk in criteria], ignore_conflicts=True)

    return transition_run(model=Review, pk=review_id, transition="declare_no_conflict", actor=actor,
                          permission="applications.declare_review", prepare=prepare, effects=effects)


def review_declare_conflict(*, actor, review_id: int, reason: str) -> Review:
    """The reviewer declares a conflict: the assignment ends and the managers are told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Describe the conflict of interest.")})
    application_id = _review_application_id(review_id)
    with transaction.atomic():
        Application.objects.select_for_update().filter(pk=application_id).first()

        def prepare(review):
            review.declared_at = timezone.now()
            review.conflict_reason = reason

        def effects(review, event):
            application = Application.objects.select_related("call").get(pk=review.application_id)
            managers = get_user_model().objects.filter(
                programme_roles__programme_id=application.call.programme_id, programme_roles__role=MANAGER).distinct()
            for manager in managers:
                notify_user(kind="review_conflict_declared", user=manager, obj=review, key=str(event.seq), context={
                    "reviewer": str(actor), "application": application.reference or application.title,
                    **_call_titles(application.call), "reason": reason,
                    "path": reverse("review_call_assignments", args=[application.call_id])})

        review = transition_run(model=Review, pk=review_id, transition="declare_conflict", actor=actor,
                                permission="applications.declare_review", reason=reason, prepare=prepare,
                                effects=effects)
        _complete_if_done(actor=actor, application_id=application_id)
    return review


# --- scoring ----------------------------------------------------------------------------------

def _parse_score(raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        return Decimal("NaN")


def review_save(*, actor, review_id: int, scores: dict | None = None, recommendation: str | None = None,
                overall_comment: str | None = None) -> Review:
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
        changed, created = [], []
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
                    "max": criterion.max_score}
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


def review_submit(*, actor, review_id: int, scores: dict | None = None, recommendation: str | None = None,
                  overall_comment: str | None = None) -> Review:
    """Submit the review (saving what is given first, so nothing typed is lost when the
    submission is refused). When every non-conflicted review of the application is submitted,
    the application is reviewed."""
    if scores is not None or recommendation is not None or overall_comment is not None:
        review_save(actor=actor, review_id=review_id, scores=scores, recommendation=recommendation,
                    overall_comment=overall_comment)
    application_id = _review_application_id(review_id)
    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("call").get(pk=application_id)
        review = Review.objects.select_for_update().get(pk=review_id)
        _require(actor.has_perm("applications.score_review", review), None)
        criteria = list(application.call.criteria.order_by("position"))
        rubric = rubric_from(criteria)
        current = {s.criterion_id: s for s in review.scores.all()}
        if review.state in SCORING_STATES:
            errors = review_problems(review, application.call, criteria, current)
            if errors:
                raise ValidationError(errors)
        total = weighted_total({cid: s.score for cid, s in current.items()}, rubric)

        def prepare(r):
            r.weighted_total = total
            r.submitted_at = timezone.now()

        review = transition_run(model=Review, pk=review_id, transition="submit", actor=actor,
                                permission="applications.score_review", prepare=prepare, data={
                                    "weighted_total": total, "recommendation": review.recommendation,
                                    "scores": {str(cid): s.score for cid, s in current.items()}})
        _complete_if_done(actor=actor, application_id=application_id)
    return review


def _complete_if_done(*, actor, application_id: int) -> None:
    """Inside the caller's transaction, with the application locked."""
    application = Application.objects.select_for_update().get(pk=application_id)
    states = list(Review.objects.filter(application_id=application_id).exclude(state=ReviewState.CONFLICTED)
                  .values_list("state", flat=True))
    if application.state == ApplicationState.UNDER_REVIEW and states and all(s == ReviewState.SUBMITTED for s in states):
        transition_run(model=Application, pk=application_id, transition="complete_review", actor=actor,
                       reason="all reviews submitted", data={"reviews": len(states)})


def review_return(*, actor, review_id: int, comment: str) -> Review:
    """The manager sends a submitted review back to its reviewer with a comment."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what the reviewer should revise.")})

    def prepare(review):
        application = Application.objects.select_related("call").get(pk=review.application_id)
        if application.state not in IN_REVIEW:
            raise TransitionRefused(_("The application is decided; its reviews can no longer be returned."))
        review.returned_comment = comment
        review.due_at = max(review.due_at, timezone.now() + timedelta(days=RETURN_DAYS))

    def effects(review, event):
        application = Application.objects.select_related("call").get(pk=review.application_id)
        reviewer = review.reviewer
        notify_user(kind="review_returned", user=reviewer, obj=review, key=str(event.seq), context={
            "application": application.title, **_call_titles(application.call),
            "comment": comment, "due": review.due_at.isoformat(),
            "path": reverse("review_detail", args=[review.pk])})

    return transition_run(model=Review, pk=review_id, transition="return_for_revision", actor=actor,
                          permission="applications.return_review", reason=comment, prepare=prepare, effects=effects)


# --- aggregation, consensus -------------------------------------------------------------------

def application_assessment(application, call=None):
    """The aggregated assessment of one application (ranking rules): two queries."""
    call = call or application.call
    rubric = rubric_from(call.criteria.order_by("position"))
    rows = call_score_rows(call, rubric, application_ids=[application.pk])
    if not rows:
        return rubric, None
    return rubric, assess(rows[0], rubric, overall_threshold=call.overall_threshold,
                          divergence_threshold=call.divergence_threshold)


def consensus_record(*, actor, application_id: int, score, justification: str) -> Application:
    """Record the consensus score that replaces the mean of the reviewers' totals."""
    justification = (justification or "").strip()
    errors = {}
    if len(justification) < JUSTIFICATION_MIN_CHARS:
        errors["justification"] = _("Justify the consensus score in at least %(n)s characters.") % {"n": JUSTIFICATION_MIN_CHARS}
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
        audit_record(actor=actor, action="consensus_record", obj=application, reason=justification, data={
            "score": application.consensus_score, "previous": previous,
            "reviewers_mean": cents(assessment.mean_total) if assessment and assessment.mean_total is not None else None})
    return application


# --- decisions --------------------------------------------------------------------------------

DECISIONS = {"award": ApplicationState.AWARDED, "put_on_reserve": ApplicationState.RESERVE,
             "reject": ApplicationState.REJECTED}


def _feedback_context(application, call, language, score) -> list[dict]:
    from .review_selectors import application_feedback

    with translation.override(language or "en"):
        return [{"name": item["criterion"].translated("name"), "mean": str(item["mean"]) if item["mean"] is not None else "",
                 "max": str(item["max_score"]), "comments": item["comments"]}
                for item in application_feedback(application)["criteria"]]


def _notify_decision(application, call, event, note, score):
    members = Membership.objects.filter(organisation_id=application.organisation_id).select_related("user")
    for membership in members:
        user = membership.user
        notify_user(kind="application_decided", user=user, obj=application, key=str(event.seq), context={
            "application": application.title, "reference": application.reference or "",
            **_call_titles(call), "decision": application.state,
            "amount": str(application.awarded_amount or ""), "currency": str(call.envelope.currency),
            "note": note, "score": str(cents(score)) if score is not None else "",
            "threshold": str(call.overall_threshold),
            "criteria": _feedback_context(application, call, user.language, score),
            "path": reverse("review_feedback", args=[application.pk])})


def _decide(*, actor, application_id: int, transition: str, amount=None, note: str = "") -> Application:
    note = (note or "").strip()
    call_id = Application.objects.values_list("call_id", flat=True).get(pk=application_id)
    try:
        with transaction.atomic():
            # The call's row is the lock that keeps awards within the envelope.
            call = Call.objects.select_for_update().get(pk=call_id)
            application = Application.objects.select_for_update().get(pk=application_id)
            _require(actor.has_perm("applications.decide_application", application), None)
            if call.state not in DECISION_CALL_STATES:
                raise TransitionRefused(_("Decisions are taken once the call is closed and its applications reviewed."))
            _rubric, assessment = application_assessment(application, call)
            if transition == "award" and application.state == ApplicationState.AWARDED:
                raise TransitionRefused(_("This application was awarded meanwhile (%(amount)s %(currency)s).") % {
                    "amount": application.awarded_amount, "currency": call.envelope.currency})
            if transition in ("award", "put_on_reserve") and application.state in (ApplicationState.REVIEWED, ApplicationState.RESERVE):
                if assessment is None or not assessment.row.submitted:
                    raise ValidationError(_("No review of this application has been submitted."))
                if not assessment.fundable:
                    raise ValidationError(_("This application is not fundable: %(reasons)s.") % {
                        "reasons": "; ".join(assessment.reasons)})
                if assessment.needs_attention:
                    raise ValidationError(_("The reviewers' totals diverge by %(divergence)s points (threshold %(threshold)s): "
                                            "add a reviewer or record a consensus score first.") % {
                        "divergence": cents(assessment.divergence), "threshold": call.divergence_threshold})
                if assessment.row.pending:
                    raise ValidationError(_("%(n)s review(s) of this application are not submitted yet.") % {
                        "n": assessment.row.pending})
            data = {"score": cents(assessment.score) if assessment and assessment.score is not None else None}
            award = None
            if transition == "award":
                requested = application.requested_amount or Decimal("0")
                try:
                    award = cents(Decimal(str(amount))) if amount not in (None, "") else requested
                except InvalidOperation:
                    raise ValidationError({"amount": _("Enter an amount.")})
                if award <= 0 or award > requested:
                    raise ValidationError({"amount": _("The amount must be more than 0 and at most the %(requested)s requested.")
                                           % {"requested": requested}})
                remaining = call.envelope.amount - call.awarded_total
                if award > remaining:
                    raise ValidationError({"amount": _(
                        "Only %(remaining)s %(currency)s of the envelope is left, so %(amount)s %(currency)s cannot be "
                        "awarded. Award a smaller amount or put the application on the reserve list.") % {
                        "remaining": remaining, "amount": award, "currency": call.envelope.currency}})
                data.update(amount=award, awarded_total=call.awarded_total + award, envelope=call.envelope.amount)

            def prepare(app):
                app.decided_at = timezone.now()
                app.decision_note = note
                if award is not None:
                    app.awarded_amount = award

            def effects(app, event):
                _notify_decision(app, call, event, note, assessment.score if assessment else None)

            application = transition_run(model=Application, pk=application_id, transition=transition, actor=actor,
                                         permission="applications.decide_application", reason=note, data=data,
                                         prepare=prepare, effects=effects)
            if award is not None:
                Call.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + award)
    except IntegrityError:
        # The database's own check (awards within the envelope) refused it.
        raise ValidationError({"amount": _("The envelope does not have enough money left for this award.")})
    return application


def application_award(*, actor, application_id: int, amount=None, note: str = "") -> Application:
    """Award a grant of `amount` (default: the amount requested; never more) within the envelope."""
    return _decide(actor=actor, application_id=application_id, transition="award", amount=amount, note=note)


def application_reserve(*, actor, application_id: int, note: str = "") -> Application:
    return _decide(actor=actor, application_id=application_id, transition="put_on_reserve", note=note)


def application_reject(*, actor, application_id: int, note: str = "") -> Application:
    return _decide(actor=actor, application_id=application_id, transition="reject", note=note)


@dataclass
class DecidedDown:
    awarded: list[int] = field(default_factory=list)
    reserved: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)


def ranking_decide_down(*, actor, call_id: int) -> DecidedDown:
    """Decide the reviewed applications down the ranking: award in rank order while the
    envelope lasts, put the other fundable ones on the reserve list, reject the ones that are
    not fundable (their reasons as the note). Each decision is its own locked transaction."""
    from .ranking import call_ranking

    call = Call.objects.get(pk=call_id)
    _require(actor.has_perm("applications.decide_application", call), None)
    if call.state != CallState.REVIEWING:
        raise TransitionRefused(_("Decisions are taken once the call is closed and its applications reviewed."))
    _rubric, ranking = call_ranking(call)
    problems = []
    if any(a.row.state == ApplicationState.UNDER_REVIEW for a in ranking.pending):
        problems.append(_("%(n)s application(s) are still under review.") % {
            "n": sum(1 for a in ranking.pending if a.row.state == ApplicationState.UNDER_REVIEW)})
    undecided = [a for a in ranking.fundable + ranking.not_fundable if a.row.state == ApplicationState.REVIEWED]
    if any(a.needs_attention for a in undecided):
        problems.append(_("%(n)s application(s) have divergent reviews without a consensus score.") % {
            "n": sum(1 for a in undecided if a.needs_attention)})
    if any(a.row.pending for a in undecided):
        problems.append(_("%(n)s application(s) have reviews that are not submitted yet.") % {
            "n": sum(1 for a in undecided if a.row.pending)})
    if problems:
        raise ValidationError(problems)
    done = DecidedDown()
    envelope_left = True
    for a in ranking.fundable:
        if a.row.state != ApplicationState.REVIEWED:
            continue
        if envelope_left:
            try:
                application_award(actor=actor, application_id=a.id)
                done.awarded.append(a.id)
                continue
            except ValidationError as exc:
                if "amount" not in getattr(exc, "error_dict", {}):
                    raise
                envelope_left = False
        application_reserve(actor=actor, application_id=a.id)
        done.reserved.append(a.id)
    for a in ranking.not_fundable:
        if a.row.state == ApplicationState.REVIEWED:
            application_reject(actor=actor, application_id=a.id, note="; ".join(a.reasons))
            done.rejected.append(a.id)
    return done


def selection_close(*, actor, call_id: int) -> Call:
    """Close the selection (call: reviewing -> decided) once every application is decided."""
    def prepare(call):
        left = Application.objects.filter(call=call, state__in=IN_REVIEW + [ApplicationState.ELIGIBLE]).count()
        if left:
            raise ValidationError(_("%(n)s application(s) are not decided yet.") % {"n": left})

    return transition_run(model=Call, pk=call_id, transition="decide", actor=actor,
                          permission="applications.decide_application", prepare=prepare)
