"""Submission and withdrawal of applications.

Submission compares the database clock with the deadline (the call's, or the applicant's own
extension) inside the transaction that freezes the content, whatever the call's state says."""

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from accounts.selectors import organisation_member_users
from applications.models import Application, Attachment, BudgetLine, ProposedIndicator
from applications.services.drafts import (
    EDIT,
    _decimal_str,
    _text,
    application_deadline,
    budget_rows,
    budget_summary,
    canonical_json,
    organisation_eligibility_problems,
)
from audit.transitions import check, lock, transition
from core.clock import database_now, moment_text
from core.errors import TransitionRefused
from core.languages import message_texts
from core.money import cents
from grants.calls.form.answers import answer_problems, answer_text, empty_value
from grants.calls.form.layout import Form, form_load
from grants.calls.form.models import QuestionKind
from grants.calls.models import BudgetHeading, Call, CallState, RequiredDocument
from workers.messenger import notify_user


class Problem(str):
    """A reason a draft cannot be submitted, with the field of the form it is about (its link)."""

    field = ""

    def __new__(cls, text: str, field: str = ""):
        problem = super().__new__(cls, text)
        problem.field = field
        return problem


def application_submission_problems(
    app: Application,
    *,
    call=None,
    form: Form | None = None,
    headings=None,
    lines=None,
    documents=None,
    attachments=None,
    proposed=None,
) -> list[str]:
    """Everything that stops this draft from being submitted, in words the applicant can act on."""
    call = call or app.call
    form = form_load(call.pk) if form is None else form
    headings = {h.pk: h for h in call.budget_headings.all()} if headings is None else headings
    lines = list(app.budget_lines.all()) if lines is None else lines
    documents = list(call.required_documents.all()) if documents is None else documents
    attachments = list(app.attachments.all()) if attachments is None else attachments
    problems = organisation_eligibility_problems(call, app.organisation)
    if not app.title.strip():
        problems.append(Problem(_("Give the project a title."), "title"))
    if not app.summary.strip():
        problems.append(Problem(_("Write a summary of the project."), "summary"))
    currency = call.envelope.currency
    if app.requested_amount is None:
        problems.append(Problem(_("Enter the amount requested."), "requested_amount"))
    elif not call.min_grant <= app.requested_amount <= call.max_grant:
        problems.append(
            _("The amount requested must be between %(min)s and %(max)s %(currency)s.")
            % {"min": call.min_grant, "max": call.max_grant, "currency": currency}
        )
    elif (ceiling := app.concept_note.requested_amount if app.concept_note else None) is not None and (
        app.requested_amount > ceiling
    ):
        problems.append(  # a two-stage call: the concept note set the ceiling
            _("The amount requested may not exceed the %(ceiling)s %(currency)s of your concept note.")
            % {"ceiling": ceiling, "currency": currency}
        )
    if app.duration_months is None:
        problems.append(Problem(_("Enter the duration of the project in months."), "duration_months"))
    elif app.duration_months > call.max_duration_months:
        problems.append(
            ngettext(
                "The project may last at most %(n)s month.",
                "The project may last at most %(n)s months.",
                call.max_duration_months,
            )
            % {"n": call.max_duration_months}
        )
    answers = app.answers or {}
    shown, _sections = form.shown(answers)
    for q in form.answerable:
        if q.pk in shown:
            problems.extend(Problem(p, f"q{q.pk}") for p in answer_problems(q, answers.get(str(q.pk), empty_value(q))))
    rows = budget_rows(lines)
    if not rows:
        problems.append(Problem(_("Fill in the budget table."), "budget"))
    else:
        summary = budget_summary(rows, headings)
        if not summary.direct:
            problems.append(Problem(_("The budget has no direct costs."), "budget"))
        elif summary.indirect > cents(summary.direct * call.indirect_max_pct / 100):
            problems.append(
                _("Indirect costs (%(indirect)s) are above %(pct)s%% of direct costs (at most %(max)s).")
                % {
                    "indirect": summary.indirect,
                    "pct": call.indirect_max_pct,
                    "max": cents(summary.direct * call.indirect_max_pct / 100),
                }
            )
        if app.requested_amount is not None:
            expected = cents(app.requested_amount + (app.cofinancing_amount or 0))
            if summary.total != expected:
                problems.append(
                    _("The budget total (%(total)s) must equal the amount requested plus co-financing (%(expected)s).")
                    % {"total": summary.total, "expected": expected}
                )
            if summary.total and call.cofinancing_min_pct:
                minimum = cents(summary.total * call.cofinancing_min_pct / 100)
                if (app.cofinancing_amount or 0) < minimum:
                    problems.append(
                        _("Co-financing must be at least %(pct)s%% of the total budget (%(min)s %(currency)s).")
                        % {"pct": call.cofinancing_min_pct, "min": minimum, "currency": currency}
                    )
    attached = {a.document_id for a in attachments}
    hidden_documents = {q.document_id for q in form.questions if q.document_id and q.pk not in shown}
    for doc in documents:
        if doc.required and doc.pk not in attached and doc.pk not in hidden_documents:
            problems.append(Problem(_("Attach the document “%(doc)s”.") % {"doc": doc}, "attachments"))
    # The results framework: a call that names programme indicators asks for proposed targets.
    if proposed is None and call.indicators.exists():
        proposed = list(app.proposed_indicators.all())
    if proposed is not None and not proposed and call.indicators.exists():
        problems.append(_("Propose at least one indicator with its target (“Indicators and targets”)."))
    return problems


def reference_prefix(call: Call) -> str:
    code = re.sub(r"[^A-Z0-9]+", "-", call.code.upper()).strip("-")[:24] or "CALL"
    if not re.search(r"(19|20)\d\d$", code):
        code = f"{code}-{timezone.localtime(call.deadline).year}"
    return code


def _reference_next(call: Call) -> str:
    """Under the call's row lock: the next number of this call's sequence, unique everywhere."""
    prefix = reference_prefix(call)
    number = Application.objects.filter(call=call, reference__startswith=prefix + "-").count() + 1
    while Application.objects.filter(reference=f"{prefix}-{number:04d}").exists():
        number += 1
    return f"{prefix}-{number:04d}"


def application_content(
    app: Application, *, call, organisation, form: Form, headings, lines, attachments, proposed=()
) -> dict:
    """The content as submitted: what the receipt's SHA-256 is computed over (with the proposed
    indicators when there are any)."""
    rows = budget_rows(lines)
    summary = budget_summary(rows, headings)
    answers = app.answers or {}
    shown, _sections = form.shown(answers)
    content = {
        "reference": app.reference,
        "submitted_at": app.submitted_at.astimezone(UTC).isoformat(),  # type: ignore[union-attr]
        "call": {
            "id": call.pk,
            "code": call.code,
            "title": call.title,
            "deadline": call.deadline.isoformat(),
            "currency": str(call.envelope.currency),
        },
        "organisation": {
            "id": organisation.pk,
            "legal_name": organisation.legal_name,
            "registration_id": organisation.registration_id,
            "country": organisation.country,
            "org_type": organisation.org_type,
        },
        "title": app.title,
        "summary": _text(app.summary),
        "requested_amount": _decimal_str(app.requested_amount),
        "cofinancing_amount": _decimal_str(app.cofinancing_amount),
        "duration_months": app.duration_months,
        # The questions shown by the answers given, with their typed answers (an answer a
        # condition hides stays in the draft, not in what is sent).
        "answers": [
            {
                "question_id": q.pk,
                "question": q.text,
                "kind": q.kind,
                **({"max_chars": q.max_chars} if q.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT) else {}),
                **({"identifying": True} if q.identifying else {}),
                "answer": _typed(q, answers.get(str(q.pk), empty_value(q))),
                "text": answer_text(q, answers.get(str(q.pk), empty_value(q))),
            }
            for q in form.answerable
            if q.pk in shown
        ],
        "budget": [
            {
                **row,
                "heading_name": headings[row["heading"]].name,
                "kind": headings[row["heading"]].kind,
                "total": str(cents(Decimal(row["units"]) * Decimal(row["unit_cost"]))),
            }
            for row in rows
            if row["heading"] in headings
        ],
        "budget_totals": {
            "direct": str(summary.direct),
            "indirect": str(summary.indirect),
            "contingency": str(summary.contingency),
            "total": str(summary.total),
        },
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "document_id": a.document_id,
            }
            for a in attachments
        ],
    }
    if proposed:
        content["indicators"] = [
            {
                "programme_indicator_id": p.programme_indicator_id,
                "name": p.name,
                "unit": p.unit,
                "baseline": _decimal_str(p.baseline),
                "target": _decimal_str(p.target),
                "means_of_verification": p.means_of_verification,
            }
            for p in proposed
        ]
    return content


def _typed(question, value):
    return _text(value) if question.kind == QuestionKind.LONG_TEXT else value


def content_sha256(content: dict) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _message_context(app, call, extra: dict) -> dict:
    """A notification's context: plain values, the call's title in every language (the relay
    picks the recipient's), times as ISO strings (shown in the recipient's language)."""
    return {
        **message_texts("call", call, "title"),
        "title": app.title,
        "reference": app.reference or "",
        "application": app.reference or app.title or f"#{app.pk}",
        "path": f"/applications/{app.pk}/",
        **extra,
    }


def _recipients_context(app, call, extra: dict) -> list[tuple]:
    """(member, context) for every member of the applicant organisation."""
    context = _message_context(app, call, extra)
    return [(user, context) for user in organisation_member_users(app.organisation_id)]


def _submission_deadline(app: Application, call: Call, db_now: datetime) -> datetime:
    """The applicant's deadline; TransitionRefused when the call does not take the application now."""
    if call.state not in (CallState.OPEN, CallState.CLOSED) or db_now < call.opens_at:
        raise TransitionRefused(_("This call is not open for applications."))
    deadline = application_deadline(app, call)
    if db_now >= deadline:
        raise TransitionRefused(
            _("The deadline (%(deadline)s) has passed; the application was not submitted.")
            % {"deadline": moment_text(deadline)}
        )
    return deadline


def _call_lock_unchanged(call: Call) -> None:
    """Lock the call's row (it orders the reference sequence until commit); TransitionRefused when
    its state or deadline changed since `call` was read."""
    locked = Call.objects.select_for_update().only("pk", "state", "deadline").get(pk=call.pk)
    if locked.state != call.state or locked.deadline != call.deadline:
        raise TransitionRefused(_("The call changed while the application was being submitted; try again."))


def application_submit(*, actor, application_id: int) -> Application:
    """Freeze a complete draft, give it a reference and a receipt. Refused after the deadline by
    the database clock, read as the first statement of the transaction (before any lock wait)."""
    with transaction.atomic():
        db_now = database_now()  # the transaction's first statement: before any lock wait
        app = lock(Application, application_id)
        check(actor, app, "submit", permission=EDIT)
        # Everything is read and checked before the call's row is locked: that lock (which
        # orders the reference sequence) is held until commit, so it is taken last.
        call = Call.objects.get(pk=app.call_id)
        deadline = _submission_deadline(app, call, db_now)
        organisation = Organisation.objects.get(pk=app.organisation_id)
        app.organisation = organisation
        form = form_load(call.pk)
        headings = {h.pk: h for h in BudgetHeading.objects.filter(call=call)}
        lines = list(BudgetLine.objects.filter(application=app).order_by("position"))
        documents = list(RequiredDocument.objects.filter(call=call))
        attachments = list(Attachment.objects.filter(application=app).order_by("uploaded_at", "pk"))
        proposed = list(ProposedIndicator.objects.filter(application=app).order_by("position", "pk"))
        problems = application_submission_problems(
            app,
            call=call,
            form=form,
            headings=headings,
            lines=lines,
            documents=documents,
            attachments=attachments,
            proposed=proposed,
        )
        if problems:
            raise ValidationError(problems)
        _call_lock_unchanged(call)
        app.reference = _reference_next(call)
        app.submitted_at = db_now
        app.submitted_content = application_content(
            app,
            call=call,
            organisation=organisation,
            form=form,
            headings=headings,
            lines=lines,
            attachments=attachments,
            proposed=proposed,
        )
        app.receipt_sha256 = content_sha256(app.submitted_content)
        if call.form_frozen_at is None:  # the first submission freezes the form (wording fixes only)
            Call.objects.filter(pk=call.pk).update(form_frozen_at=db_now)
        event = transition(
            app,
            "submit",
            actor=actor,
            data={
                "reference": app.reference,
                "sha256": app.receipt_sha256,
                "submitted_at": db_now.isoformat(),
                "deadline": deadline.isoformat(),
            },
        )
        for user, context in _recipients_context(
            app,
            call,
            {"submitted_at": app.submitted_at.isoformat(), "sha256": app.receipt_sha256, "submitted_by": str(actor)},
        ):
            notify_user(kind="application_submitted", user=user, obj=app, key=str(event.seq), context=context)
    return app


def application_withdraw(*, actor, application_id: int, reason: str = "") -> Application:
    with transaction.atomic():
        app = lock(Application, application_id)
        check(actor, app, "withdraw", permission=EDIT)
        event = transition(app, "withdraw", actor=actor, reason=(reason or "").strip())
        for user, context in _recipients_context(app, app.call, {"withdrawn_by": str(actor), "reason": reason or ""}):
            notify_user(kind="application_withdrawn", user=user, obj=app, key=str(event.seq), context=context)
    return app
