"""Administrative screening of submitted applications: eligible, ineligible, a clarification
asked and answered, and one applicant's deadline extended. Each use case locks the application,
checks the role (403) and the state (409) once under the lock, then judges the input (400)."""

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole
from accounts.roles import MANAGER
from applications.conversations.models import EventKind
from applications.conversations.services import thread_event_record, thread_files_discard, thread_files_store
from applications.models import Application, ApplicationState
from applications.services.drafts import EDIT, SCREEN, TEXT_MAX, _text
from applications.services.submission import _message_context, _recipients_context
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from grants.calls.form.checklist import CHECKLIST, checklist_items  # noqa: F401  (CHECKLIST: the default items)
from workers.messenger import notify_user


def _checklist_clean(checklist, items) -> dict:
    checklist = checklist or {}
    return {key: bool(checklist.get(key)) for key, _label in items}


def application_mark_eligible(*, actor, application_id: int, checklist: dict, comment: str = "") -> Application:
    with transaction.atomic():
        app = lock(Application, application_id)
        check(actor, app, "mark_eligible", permission=SCREEN)
        items = checklist_items(app.call_id)
        ticked = _checklist_clean(checklist, items)
        missing = [label for key, label in items if not ticked[key]]
        if missing:
            raise ValidationError(
                {"checklist": [_("Not yet checked: %(item)s") % {"item": label} for label in missing]}
            )
        event = transition(
            app, "mark_eligible", actor=actor, reason=(comment or "").strip(), data={"checklist": ticked}
        )
        thread_event_record(application=app, event=EventKind.ELIGIBLE, actor=actor, body=(comment or "").strip())
        for user, context in _recipients_context(app, app.call, {}):
            notify_user(kind="application_eligible", user=user, obj=app, key=str(event.seq), context=context)
    return app


def application_mark_ineligible(
    *, actor, application_id: int, reason: str, checklist: dict | None = None
) -> Application:
    reason = (reason or "").strip()
    with transaction.atomic():
        app = lock(Application, application_id)
        check(actor, app, "mark_ineligible", permission=SCREEN)
        if not reason:
            raise ValidationError({"reason": _("Say why the application is ineligible; the applicant will read it.")})
        app.ineligibility_reason = reason
        event = transition(
            app,
            "mark_ineligible",
            actor=actor,
            reason=reason,
            data={"checklist": _checklist_clean(checklist, checklist_items(app.call_id))},
        )
        thread_event_record(application=app, event=EventKind.INELIGIBLE, actor=actor, body=reason)
        for user, context in _recipients_context(app, app.call, {"reason": reason}):
            notify_user(kind="application_ineligible", user=user, obj=app, key=str(event.seq), context=context)
    return app


def application_request_clarification(
    *, actor, application_id: int, question: str, due, checklist: dict | None = None
) -> Application:
    question = (question or "").strip()
    with transaction.atomic():
        app = lock(Application, application_id)
        check(actor, app, "request_clarification", permission=SCREEN)
        errors = {}
        if not question:
            errors["question"] = _("Write the question the applicant should answer.")
        if due is None or due <= timezone.now():
            errors["due"] = _("Give a due date in the future.")
        if errors:
            raise ValidationError(errors)
        app.clarification_question = question
        app.clarification_due = due
        app.clarification_answer = ""
        event = transition(
            app,
            "request_clarification",
            actor=actor,
            reason=question,
            data={"due": due.isoformat(), "checklist": _checklist_clean(checklist, checklist_items(app.call_id))},
        )
        # Every round stays in the thread: the applicant reads the first question after the second.
        thread_event_record(
            application=app,
            event=EventKind.CLARIFICATION_REQUESTED,
            actor=actor,
            body=question,
            data={"due": due.isoformat()},
        )
        for user, context in _recipients_context(app, app.call, {"question": question, "due": due.isoformat()}):
            notify_user(
                kind="application_clarification_requested", user=user, obj=app, key=str(event.seq), context=context
            )
    return app


def application_answer_clarification(*, actor, application_id: int, answer: str, files=()) -> Application:
    """The applicant answers, optionally with files (kept with the answer in the thread)."""
    answer = _text(answer).strip()
    if files:
        app = Application.objects.select_related("call").get(pk=application_id)
        if not actor.has_perm(EDIT, app):
            raise PermissionDenied(_("Only members of the applicant organisation can answer."))
        stored = thread_files_store(files, app.call.max_file_mb)
    else:
        stored = []
    try:
        with transaction.atomic():
            return _clarification_answer(actor=actor, application_id=application_id, answer=answer, stored=stored)
    except BaseException:
        thread_files_discard(stored)
        raise


def _clarification_answer(*, actor, application_id: int, answer: str, stored: list) -> Application:
    """Inside the caller's transaction."""
    app = lock(Application, application_id)
    check(actor, app, "answer_clarification", permission=EDIT)
    if not answer:
        raise ValidationError({"answer": _("Write your answer.")})
    if len(answer) > TEXT_MAX:
        raise ValidationError({"answer": _("At most %(n)s characters can be saved here.") % {"n": TEXT_MAX}})
    app.clarification_answer = answer
    late = bool(app.clarification_due and timezone.now() > app.clarification_due)
    event = transition(
        app, "answer_clarification", actor=actor, data={"late": late, **({"files": len(stored)} if stored else {})}
    )
    thread_event_record(application=app, event=EventKind.CLARIFICATION_ANSWERED, actor=actor, body=answer, files=stored)
    managers = ProgrammeRole.objects.filter(programme_id=app.call.programme_id, role=MANAGER).select_related("user")
    context = _message_context(app, app.call, {"organisation": app.organisation.legal_name})
    for role in managers:
        notify_user(
            kind="application_clarification_answered", user=role.user, obj=app, key=str(event.seq), context=context
        )
    return app


def application_deadline_extend(*, actor, application_id: int, until, reason: str) -> Application:
    """Give one applicant more time (e.g. a documented outage on their side). Audited."""
    reason = (reason or "").strip()
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application_id)
        if not actor.has_perm(SCREEN, app):
            raise PermissionDenied(_("Only the programme's managers can extend a deadline."))
        if app.state != ApplicationState.DRAFT:
            raise TransitionRefused(_("Only a draft's deadline can be extended."))
        errors = {}
        if not reason:
            errors["reason"] = _("Say why this applicant gets more time.")
        if until is None or until <= app.call.deadline:
            errors["until"] = _("The new deadline must be later than the call's deadline.")
        elif until <= timezone.now():
            errors["until"] = _("The new deadline must be in the future.")
        if errors:
            raise ValidationError(errors)
        previous = app.deadline_extended_to
        app.deadline_extended_to = until
        app.save(update_fields=["deadline_extended_to", "updated_at"])
        event = audit_record(
            actor=actor,
            action="deadline_extend",
            obj=app,
            reason=reason,
            data={"from": (previous or app.call.deadline).isoformat(), "to": until.isoformat()},
        )
        for user, context in _recipients_context(app, app.call, {"until": until.isoformat(), "reason": reason}):
            notify_user(kind="application_deadline_extended", user=user, obj=app, key=str(event.seq), context=context)
    return app


# transition -> permission; transitions of other stages register `applications.<name>_application`.
TRANSITION_PERMISSIONS = {
    "submit": EDIT,
    "withdraw": EDIT,
    "answer_clarification": EDIT,
    "mark_eligible": SCREEN,
    "mark_ineligible": SCREEN,
    "request_clarification": SCREEN,
}


def application_available_transitions(user, app: Application) -> list[str]:
    names = []
    for t in app.get_available_state_transitions():  # type: ignore[attr-defined]
        perm = TRANSITION_PERMISSIONS.get(t.name) or f"applications.{t.name}_application"
        if (t.name in TRANSITION_PERMISSIONS or rules.perm_exists(perm)) and user.has_perm(perm, app):
            names.append(t.name)
    if app.state == ApplicationState.DRAFT and user.has_perm(SCREEN, app):
        names.append("extend_deadline")
    return names
