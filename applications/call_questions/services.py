"""Use cases of a call's questions and answers: a would-be applicant asks (privately, while the
call takes questions), a manager of the call's programme answers and publishes an anonymised
version in the call's languages (while answers may still be published); every organisation
drafting for the call is told once, the one who asked too."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole, User
from applications.call_questions.models import CallQuestion
from applications.services.call_dates import drafting_users
from audit.services import audit_record
from audit.transitions import lock
from core.clock import database_now, moment_text
from core.errors import TransitionRefused
from core.languages import as_columns, columns, message_texts
from grants.calls.models import Call, CallState
from workers.messenger import notify_users

ASKING_STATES = (CallState.PUBLISHED, CallState.OPEN)


def questions_until(call: Call) -> datetime:
    return call.deadline - timedelta(days=call.questions_days)


def answers_until(call: Call) -> datetime:
    return call.deadline - timedelta(days=call.answers_days)


def call_question_ask(*, actor, call_id: int, text: str) -> CallQuestion:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write your question.")})
    if len(text) > 4000:
        raise ValidationError({"text": _("A question can be at most 4000 characters long.")})
    with transaction.atomic():
        call = lock(Call, call_id)
        if call.state not in ASKING_STATES:
            raise TransitionRefused(_("This call no longer takes questions."))
        until = questions_until(call)
        if database_now() > until:
            raise TransitionRefused(
                _("Questions about this call could be asked until %(until)s.") % {"until": moment_text(until)}
            )
        question = CallQuestion.objects.create(call=call, asked_by=actor, text=text)
        audit_record(actor=actor, action="call_question_ask", obj=question, data={"call": call.pk})
        managers = User.objects.filter(
            is_active=True,
            programme_roles__programme=call.programme_id,
            programme_roles__role=ProgrammeRole.Role.MANAGER,
        ).distinct()
        notify_users(
            kind="call_question_asked",
            users=managers,
            obj=question,
            key="asked",
            context={**message_texts("call", call, "title"), "path": f"/manage/calls/{call.pk}/questions/"},
        )
    return question


def call_question_answer(*, actor, question_id: int, publish: bool = False, **texts) -> CallQuestion:
    """Save the published wording of the question and its answer (`question`, `answer` in the main
    language; `question_uk`, `answer_ka`… in others); `publish` puts them on the call's page and
    tells every organisation drafting, once. A published answer's wording can still be corrected."""
    texts = {k: (v or "").strip() for k, v in as_columns(CallQuestion, texts).items() if k in ALLOWED}
    with transaction.atomic():
        question = lock(CallQuestion, question_id)
        call = lock(Call, question.call_id)
        if not actor.has_perm("grants.manage_call", call):
            raise PermissionDenied(_("You do not manage this call's programme."))
        main_question, main_answer = columns("question")[0], columns("answer")[0]
        merged = {**{f: getattr(question, f) or "" for f in ALLOWED}, **texts}
        errors = {}
        if not merged[main_question]:
            errors["question"] = _("Write the question as it will be published, without who asked it.")
        if not merged[main_answer]:
            errors["answer"] = _("Write the answer.")
        if errors and (publish or question.published_at):
            raise ValidationError(errors)
        first_publication = publish and question.published_at is None
        if first_publication:
            if call.state not in ASKING_STATES:
                raise TransitionRefused(_("Answers are published while the call is published or open."))
            until = answers_until(call)
            if database_now() > until:
                raise TransitionRefused(
                    _(
                        "Answers to this call had to be published by %(until)s. Extend the deadline first if the "
                        "answer matters to every applicant."
                    )
                    % {"until": moment_text(until)}
                )
        changed = {k: v for k, v in texts.items() if (getattr(question, k) or "") != v}
        for name, value in changed.items():
            setattr(question, name, value or None if name not in (main_question, main_answer) else value)
        question.answered_by = actor
        if first_publication:
            question.published_at = database_now()
        question.save()
        audit_record(
            actor=actor,
            action="call_question_publish" if first_publication else "call_question_answer",
            obj=question,
            data={"call": call.pk, "changed": sorted(changed)},
        )
        if first_publication:
            context = {**message_texts("call", call, "title"), "path": f"/calls/{call.pk}/#qa"}
            people = {user.pk: user for user in drafting_users(call)}
            if question.asked_by is not None and question.asked_by.is_active:
                people.setdefault(question.asked_by.pk, question.asked_by)
            notify_users(
                kind="call_answer_published", users=people.values(), obj=question, key="published", context=context
            )
    return question


ALLOWED = (*columns("question"), *columns("answer"))


def published_questions(call: Call):
    return CallQuestion.objects.filter(call=call, published_at__isnull=False).order_by("published_at", "pk")
