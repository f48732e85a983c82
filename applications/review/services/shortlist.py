"""The shortlist of a two-stage call (PRAG's restricted procedure): the manager invites the best
reviewed concept notes to send a full application; the others are told they are not invited, with
the reviewers' consolidated feedback. PRAG's guidance: the shortlist asks for about twice the call's
envelope — shown to the manager while choosing, never enforced.

Inviting opens the call's full-application stage (its own form, rubric, reviewers) with its own
deadline, to the invited organisations only, each with a draft pre-filled from its concept note:
title, summary, the amount requested as the budget ceiling, and the answers to questions worded
the same in both forms."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationState
from applications.review.services.decisions import _notify_decision
from audit.services import audit_record
from audit.transitions import lock, transition
from core.clock import database_now
from core.errors import TransitionRefused
from core.languages import main_text
from grants.calls.models import Call, CallState
from grants.calls.services import call_publish_problems

CANDIDATES = (ApplicationState.REVIEWED, ApplicationState.RESERVE)
PRAG_RATIO = Decimal("2")  # the shortlist's requested total, in envelopes, that PRAG suggests


@dataclass
class Shortlisted:
    full_call: Call
    invited: int
    not_invited: int
    ratio: Decimal


def shortlist_ratio(requested_total: Decimal, envelope: Decimal) -> Decimal:
    return (requested_total / envelope).quantize(Decimal("0.01")) if envelope else Decimal("0")


def _prefill(concept: Application, full_call: Call) -> Application:
    """The invited organisation's draft of its full application, from its concept note."""
    # A question of the full form carries over the concept note's answer to the question the
    # manager named ("carries over from" in the builder), else to the identically worded one of
    # the same type.
    targets = list(full_call.questions.filter(purpose="application").exclude(kind="file"))
    named = {int(q.options["carries_from"]): str(q.pk) for q in targets if (q.options or {}).get("carries_from")}
    by_text = {(main_text(q, "text"), q.kind): str(q.pk) for q in targets}
    answers = {}
    for q in concept.call.questions.filter(purpose="application").exclude(kind="file"):
        target = named.get(q.pk) or by_text.get((main_text(q, "text"), q.kind))
        if target and target not in answers and concept.answers.get(str(q.pk)) not in (None, "", []):
            answers[target] = concept.answers[str(q.pk)]
    return Application.objects.create(
        call=full_call,
        organisation=concept.organisation,
        created_by=concept.created_by,
        concept_note=concept,
        title=concept.title,
        summary=concept.summary,
        requested_amount=concept.requested_amount,
        cofinancing_amount=concept.cofinancing_amount,
        duration_months=concept.duration_months,
        answers=answers,
    )


def shortlist_invite(*, actor, call_id: int, application_ids, deadline, note: str = "") -> Shortlisted:
    """Invite the chosen concept notes; every other reviewed one is not invited. The concept notes'
    call is then decided and its full-application stage open until `deadline`."""
    note = (note or "").strip()
    chosen_ids = {int(pk) for pk in application_ids}
    if not chosen_ids:
        raise ValidationError(_("Choose at least one concept note to invite."))
    with transaction.atomic():
        concept_call = lock(Call, call_id)
        if not actor.has_perm("grants.manage_call", concept_call):
            raise PermissionDenied(_("You do not manage this call's programme."))
        full_call = Call.objects.select_for_update().filter(concept_call=concept_call).first()
        if full_call is None:
            raise TransitionRefused(_("This call has one stage: its applications are awarded, not shortlisted."))
        if concept_call.state != CallState.REVIEWING:
            raise TransitionRefused(_("The shortlist is invited once the concept notes are reviewed."))
        if full_call.state != CallState.DRAFT:
            raise TransitionRefused(_("The shortlist of this call has been invited already."))
        now = database_now()
        errors = {}
        if deadline is None or deadline <= now:
            errors["deadline"] = _("The full applications' deadline must be in the future.")
        elif deadline.date() > concept_call.programme.ends_on:
            errors["deadline"] = _("The programme ends on %(date)s; the deadline cannot pass it.") % {
                "date": concept_call.programme.ends_on
            }
        if errors:
            raise ValidationError(errors)
        full_call.opens_at, full_call.deadline = now, deadline
        problems = call_publish_problems(full_call, concept_call.programme, opening_stage=True)
        if problems:
            raise ValidationError(
                [_("The full-application stage is not ready to open:"), *problems]  # its own form, rubric…
            )
        candidates = list(
            Application.objects.select_for_update().filter(call=concept_call, state__in=CANDIDATES).order_by("pk")
        )
        unknown = chosen_ids - {a.pk for a in candidates}
        if unknown:
            raise ValidationError(_("Only reviewed concept notes of this call can be invited."))
        full_call.save(update_fields=["opens_at", "deadline"])
        transition(full_call, "publish", actor=actor, data={"stage": 2})
        transition(full_call, "open", actor=actor, reason="shortlist")
        requested = Decimal("0")
        invited = not_invited = 0
        for app in candidates:
            app.decided_at = now
            app.decision_note = note
            if app.pk in chosen_ids:
                requested += app.requested_amount or Decimal("0")
                event = transition(app, "shortlist", actor=actor, reason=note)
                _prefill(app, full_call)
                invited += 1
            else:
                event = transition(app, "reject", actor=actor, reason=note, data={"stage": 1})
                not_invited += 1
            _notify_decision(app, concept_call, event, note, None, extra={"stage": 1, "deadline": deadline.isoformat()})
        ratio = shortlist_ratio(requested, concept_call.envelope.amount)
        transition(
            concept_call,
            "decide",
            actor=actor,
            data={"invited": invited, "not_invited": not_invited, "requested": str(requested), "ratio": str(ratio)},
        )
        audit_record(
            actor=actor,
            action="shortlist_invite",
            obj=concept_call,
            data={"full_call": full_call.pk, "invited": sorted(chosen_ids), "ratio": str(ratio)},
        )
    return Shortlisted(full_call=full_call, invited=invited, not_invited=not_invited, ratio=ratio)
