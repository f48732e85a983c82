"""Use cases of independent review and selection: the only writers of reviews, scores,
consensus scores and decisions.

Lock order, everywhere: Call, then Application, then Review. State changes go through
`transition_run`; other writes that matter call `audit_record` in their transaction; messages
are outbox rows written in the same transaction."""
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
from core.errors import TransitionRefused
from audit.transitions import transition_run
from grants.calls.models import Call, CallState, Programme
from workers.messenger import notify_user
from applications.models import Application, ApplicationState
from applications.review.models import Recommendation, Review, ReviewerProfile, ReviewState, Score
from applications.review.ranking import assess, call_score_rows, cents, max_weighted_total, rubric_from, score_is_valid, weighted_total
from applications.review.services.assignment import IN_REVIEW, _call_titles, _require
from applications.review.services.scoring import application_assessment


DECISION_CALL_STATES = [CallState.REVIEWING, CallState.DECIDED]


DECISIONS = {"award": ApplicationState.AWARDED, "put_on_reserve": ApplicationState.RESERVE,
             "reject": ApplicationState.REJECTED}


def _feedback_context(application, call, language, score) -> list[dict]:
    from applications.review.selectors import application_feedback

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
            "path": reverse("reviews:review_feedback", args=[application.pk])})


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
    from applications.review.ranking import call_ranking

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
