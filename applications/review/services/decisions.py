"""Selection: the decision on each reviewed application (award within the envelope, reserve
list, rejection), decisions down the ranking, and closing the selection.

Lock order, everywhere in review: Call, then Application, then Review. Messages are outbox rows
written in the same transaction."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.selectors import organisation_member_users
from applications.conversations.models import EventKind
from applications.conversations.services import thread_event_record
from applications.models import Application, ApplicationState
from applications.review.ranking import (
    FUNDABLE,
    NOT_FUNDABLE,
    ranking_assessments,
    ranking_ids,
    ranking_summary,
    rubric_from,
)
from applications.review.selectors import application_feedback
from applications.review.services.assignment import IN_REVIEW, _call_titles, _require
from applications.review.services.scoring import application_assessment
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.money import cents
from core.shortcuts import get_permitted_or_403
from grants.calls.models import Call, CallState
from workers.messenger import notify_user

DECISION_CALL_STATES = [CallState.REVIEWING, CallState.DECIDED]
CONCEPT_NOTES_SHORTLISTED = gettext_lazy(
    "Concept notes are not awarded: invite the best of them to the full application from the shortlist page."
)


DECISIONS = {
    "award": ApplicationState.AWARDED,
    "put_on_reserve": ApplicationState.RESERVE,
    "reject": ApplicationState.REJECTED,
}


def _feedback_context(application, call, language, score) -> list[dict]:
    with translation.override(language or "en"):
        return [
            {
                "name": item["criterion"].name,
                "mean": str(item["mean"]) if item["mean"] is not None else "",
                "max": str(item["max_score"]),
                "comments": item["comments"],
            }
            for item in application_feedback(application)["criteria"]
        ]


def _notify_decision(application, call, event, note, score, extra=None):
    thread_event_record(
        application=application,
        event=EventKind.DECIDED,
        actor=event.actor,
        body=note,
        data={
            "decision": application.state,
            "amount": str(application.awarded_amount or ""),
            "currency": str(call.envelope.currency),
        },
    )
    for user in organisation_member_users(application.organisation_id):
        notify_user(
            kind="application_decided",
            user=user,
            obj=application,
            key=str(event.seq),
            context={
                "application": application.title,
                "reference": application.reference or "",
                **_call_titles(call),
                "decision": application.state,
                "amount": str(application.awarded_amount or ""),
                "currency": str(call.envelope.currency),
                "note": note,
                "score": "" if score is None else str(cents(score)),
                "threshold": str(call.overall_threshold),
                "criteria": _feedback_context(application, call, user.language, score),
                "path": reverse("reviews:review_feedback", args=[application.pk]),
                **(extra or {}),
            },
        )


def _fundable_check(call, assessment) -> None:
    """ValidationError unless the ranking's rules fund the application: a submitted review, every
    minimum met, no divergence left without a consensus, no review still pending."""
    if assessment is None or not assessment.row.submitted:
        raise ValidationError(_("No review of this application has been submitted."))
    if not assessment.fundable:
        raise ValidationError(
            _("This application is not fundable: %(reasons)s.") % {"reasons": "; ".join(assessment.reasons)}
        )
    if assessment.needs_attention:
        raise ValidationError(
            _(
                "The reviewers' totals diverge by %(divergence)s points (threshold %(threshold)s): "
                "add a reviewer or record a consensus score first."
            )
            % {"divergence": cents(assessment.divergence), "threshold": call.divergence_threshold}
        )
    if assessment.row.pending:
        raise ValidationError(
            ngettext(
                "%(n)s review of this application is not submitted yet.",
                "%(n)s reviews of this application are not submitted yet.",
                assessment.row.pending,
            )
            % {"n": assessment.row.pending}
        )


def _award_amount(application, call, amount) -> Decimal:
    """What to award: `amount` (default: the amount requested), more than 0, at most the amount
    requested and at most what is left of the envelope; ValidationError naming `amount` otherwise."""
    requested = application.requested_amount or Decimal("0")
    try:
        award = cents(Decimal(str(amount))) if amount not in (None, "") else requested
    except InvalidOperation:
        raise ValidationError({"amount": _("Enter an amount.")})
    if award <= 0 or award > requested:
        raise ValidationError(
            {
                "amount": _("The amount must be more than 0 and at most the %(requested)s requested.")
                % {"requested": requested}
            }
        )
    remaining = call.envelope.amount - call.awarded_total
    if award > remaining:
        raise ValidationError(
            {
                "amount": _(
                    "Only %(remaining)s %(currency)s of the envelope is left, so %(amount)s %(currency)s cannot be "
                    "awarded. Award a smaller amount or put the application on the reserve list."
                )
                % {"remaining": remaining, "amount": award, "currency": call.envelope.currency}
            }
        )
    return award


def _decide(*, actor, application_id: int, decision: str, amount=None, note: str = "") -> Application:
    """Take `decision` (award, put_on_reserve or reject) on a reviewed application."""
    note = (note or "").strip()
    call_id = Application.objects.values_list("call_id", flat=True).get(pk=application_id)
    try:
        with transaction.atomic():
            # The call's row is the lock that keeps awards within the envelope.
            call = lock(Call, call_id)
            application = lock(Application, application_id)
            _require(actor.has_perm("applications.decide_application", application), None)
            if call.state not in DECISION_CALL_STATES:
                raise TransitionRefused(_("Decisions are taken once the call is closed and its applications reviewed."))
            if decision != "reject" and call.is_concept_stage:
                raise TransitionRefused(CONCEPT_NOTES_SHORTLISTED)
            _rubric, assessment = application_assessment(application, call)
            if decision == "award" and application.state == ApplicationState.AWARDED:
                raise TransitionRefused(
                    _("This application was awarded meanwhile (%(amount)s %(currency)s).")
                    % {"amount": application.awarded_amount, "currency": call.envelope.currency}
                )
            if decision in ("award", "put_on_reserve") and application.state in (
                ApplicationState.REVIEWED,
                ApplicationState.RESERVE,
            ):
                _fundable_check(call, assessment)
            score = assessment.score if assessment else None
            data = {"score": None if score is None else cents(score)}
            award = None
            if decision == "award":
                award = _award_amount(application, call, amount)
                data.update(amount=award, awarded_total=call.awarded_total + award, envelope=call.envelope.amount)
            check(actor, application, decision)  # the role is checked above; this is the state
            application.decided_at = timezone.now()
            application.decision_note = note
            if award is not None:
                application.awarded_amount = award
            event = transition(application, decision, actor=actor, reason=note, data=data)
            _notify_decision(application, call, event, note, score)
            if award is not None:
                Call.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + award)
    except IntegrityError:
        # The database's own check (awards within the envelope) refused it.
        raise ValidationError({"amount": _("The envelope does not have enough money left for this award.")})
    return application


def application_award(*, actor, application_id: int, amount=None, note: str = "") -> Application:
    """Award a grant of `amount` (default: the amount requested; never more) within the envelope."""
    return _decide(actor=actor, application_id=application_id, decision="award", amount=amount, note=note)


def application_reserve(*, actor, application_id: int, note: str = "") -> Application:
    return _decide(actor=actor, application_id=application_id, decision="put_on_reserve", note=note)


def application_reject(*, actor, application_id: int, note: str = "") -> Application:
    return _decide(actor=actor, application_id=application_id, decision="reject", note=note)


@dataclass
class DecidedDown:
    awarded: list[int] = field(default_factory=list)
    reserved: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)


def ranking_decide_down(*, actor, call_id: int) -> DecidedDown:
    """Decide the reviewed applications down the ranking: award in rank order while the
    envelope lasts, put the other fundable ones on the reserve list, reject the ones that are
    not fundable (their reasons as the note). Each decision is its own locked transaction."""
    call = get_permitted_or_403(actor, Call, call_id, "applications.decide_application")
    if call.state != CallState.REVIEWING:
        raise TransitionRefused(_("Decisions are taken once the call is closed and its applications reviewed."))
    if call.is_concept_stage:
        raise TransitionRefused(CONCEPT_NOTES_SHORTLISTED)
    rubric = rubric_from(call.criteria.order_by("position"))
    summary = ranking_summary(call, rubric)
    problems = []
    if summary.under_review:
        problems.append(
            ngettext(
                "%(n)s application is still under review.",
                "%(n)s applications are still under review.",
                summary.under_review,
            )
            % {"n": summary.under_review}
        )
    if summary.reviewed_flagged:
        problems.append(
            ngettext(
                "%(n)s application has divergent reviews without a consensus score.",
                "%(n)s applications have divergent reviews without a consensus score.",
                summary.reviewed_flagged,
            )
            % {"n": summary.reviewed_flagged}
        )
    if summary.reviewed_unfinished:
        problems.append(
            ngettext(
                "%(n)s application has reviews that are not submitted yet.",
                "%(n)s applications have reviews that are not submitted yet.",
                summary.reviewed_unfinished,
            )
            % {"n": summary.reviewed_unfinished}
        )
    if problems:
        raise ValidationError(problems)
    # In rank order, ids only; the ones to reject with their reasons (as the ranking stands now).
    fundable = ranking_ids(call, rubric, FUNDABLE, [ApplicationState.REVIEWED])
    not_fundable = ranking_assessments(call, rubric, NOT_FUNDABLE, [ApplicationState.REVIEWED])
    done = DecidedDown()
    envelope_left = True
    for application_id in fundable:
        if envelope_left:
            try:
                application_award(actor=actor, application_id=application_id)
                done.awarded.append(application_id)
                continue
            except ValidationError as exc:
                if "amount" not in getattr(exc, "error_dict", {}):
                    raise
                envelope_left = False
        application_reserve(actor=actor, application_id=application_id)
        done.reserved.append(application_id)
    for a in not_fundable:
        application_reject(actor=actor, application_id=a.id, note="; ".join(a.reasons))
        done.rejected.append(a.id)
    return done


def selection_close(*, actor, call_id: int) -> Call:
    """Close the selection (call: reviewing -> decided) once every application is decided."""
    with transaction.atomic():
        call = lock(Call, call_id)
        check(actor, call, "decide", permission="applications.decide_application")
        if call.is_concept_stage:
            raise TransitionRefused(CONCEPT_NOTES_SHORTLISTED)
        left = Application.objects.filter(call=call, state__in=IN_REVIEW + [ApplicationState.ELIGIBLE]).count()
        if left:
            raise ValidationError(
                ngettext("%(n)s application is not decided yet.", "%(n)s applications are not decided yet.", left)
                % {"n": left}
            )
        transition(call, "decide", actor=actor)
    return call
