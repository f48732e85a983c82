"""Writing in threads: a message (with files), an event recorded by another use case, a thread
marked read, and one message sent to many organisations (each in its own thread).

Messages enter the audit trail as events (who wrote in which thread, how many files), never
their text. The other side of the thread is told through the outbox."""

import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole
from accounts.roles import FINANCE, MANAGER
from accounts.selectors import organisation_member_users
from applications import uploads
from applications.conversations.models import EventKind, Message, MessageAttachment, Thread, ThreadRead, ThreadScope
from applications.conversations.visibility import thread_can_view, thread_is_member, thread_is_staff
from applications.models import Application
from audit.services import audit_record
from core.bulk import BULK_LIMIT, BulkResult, bulk_run
from core.text import multi_line
from workers.messenger import notify_user

BODY_MAX = 20_000
FILES_MAX = 5


def thread_path(application, scope: str) -> str:
    if scope == ThreadScope.GRANT:
        return f"/grants/{application.grant.pk}/messages/"
    return f"/applications/{application.pk}/messages/"


def thread_subject(application, scope: str) -> str:
    if scope == ThreadScope.GRANT:
        grant = application.grant
        return f"{grant.number} · {grant.title}"[:300]
    return f"{application.reference or '#' + str(application.pk)} · {application.title}"[:300]


def _thread_get_or_create(application, scope: str) -> Thread:
    thread, _created = Thread.objects.get_or_create(
        application=application,
        scope=scope,
        defaults={
            "organisation_id": application.organisation_id,
            "programme_id": application.call.programme_id,
            "subject": thread_subject(application, scope),
        },
    )
    return thread


def _files_store(files, max_mb: int) -> list[dict]:
    """Judge each file by its content (the rules of an application's documents) and store it;
    a refusal names the file. The stored files are discarded if the message is not saved."""
    files = [f for f in files or [] if f]
    if len(files) > FILES_MAX:
        raise ValidationError({"files": _("Send at most %(n)s files with one message.") % {"n": FILES_MAX}})
    stored: list[dict] = []
    try:
        for upload in files:
            size = getattr(upload, "size", None) or 0
            if size == 0:
                raise ValidationError({"files": _("The file is empty.")})
            if size > max_mb * 1024 * 1024:
                raise ValidationError(
                    {
                        "files": _("The file is %(size)s MB; each file may be at most %(max)s MB.")
                        % {"size": round(size / 1024 / 1024, 1), "max": max_mb}
                    }
                )
            try:
                kind = uploads.sniff(upload, size)
                name = uploads.clean_name(getattr(upload, "name", ""), kind)
            except uploads.UploadRefused as exc:
                raise ValidationError({"files": exc.message})
            stored_name, sha256, stored_size = uploads.store(upload)
            stored.append(
                {
                    "original_name": name,
                    "stored_name": stored_name,
                    "content_type": kind.content_type,
                    "size": stored_size,
                    "sha256": sha256,
                }
            )
    except BaseException:
        _files_discard(stored)
        raise
    return stored


def _files_discard(stored: list[dict]) -> None:
    for item in stored:
        uploads.discard(item["stored_name"])


def _body_clean(body: str, *, required: bool) -> str:
    body = multi_line(body or "").strip()
    if required and not body:
        raise ValidationError({"body": _("Write your message.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("At most %(n)s characters can be saved here.") % {"n": BODY_MAX}})
    return body


def _recipients(thread: Thread, application, *, to_staff: bool) -> list:
    """The other side of the thread: the organisation's members, or the programme's staff."""
    if not to_staff:
        return organisation_member_users(application.organisation_id)
    roles = [MANAGER, FINANCE] if thread.scope == ThreadScope.GRANT else [MANAGER]
    held = ProgrammeRole.objects.filter(programme_id=thread.programme_id, role__in=roles).select_related("user")
    return list({role.user_id: role.user for role in held}.values())


def _message_add(
    thread: Thread,
    application,
    *,
    actor,
    from_staff: bool,
    body: str,
    event: str = "",
    data=None,
    files=(),
    bulk_key="",
) -> Message:
    message = Message.objects.create(
        thread=thread,
        author=actor,
        from_staff=from_staff,
        event=event,
        body=body,
        data=data or {},
        bulk_key=bulk_key,
    )
    MessageAttachment.objects.bulk_create([MessageAttachment(message=message, **item) for item in files])
    Thread.objects.filter(pk=thread.pk).update(last_message_id=message.pk, last_message_at=message.created_at)
    if actor is not None:
        _read_up_to(thread, actor, message.pk)
    audit_record(
        actor=actor,
        action="message_event" if event else "message_post",
        obj=application,
        data={"thread": thread.pk, "scope": thread.scope, "message": message.pk, "event": event, "files": len(files)},
    )
    author = (actor.full_name or actor.email) if actor is not None else ""
    context = {
        "thread": thread.subject,
        "author": author,
        "event": event,
        "path": thread_path(application, thread.scope),
        "excerpt": body[:500],
    }
    for user in _recipients(thread, application, to_staff=not from_staff):
        if actor is not None and user.pk == actor.pk:
            continue
        notify_user(kind="thread_message", user=user, obj=message, key="", context=context)
    return message


def _read_up_to(thread: Thread, user, message_id: int) -> None:
    ThreadRead.objects.bulk_create(
        [ThreadRead(thread=thread, user=user, last_read_id=message_id)],
        update_conflicts=True,
        unique_fields=["thread", "user"],
        update_fields=["last_read_id"],
    )


def message_post(*, actor, application_id: int, scope: str, body: str, files=()) -> Message:
    """Someone who may see the thread writes in it, with up to FILES_MAX files."""
    application = Application.objects.select_related("call").filter(pk=application_id).first()
    if application is None or not thread_can_view(actor, application, scope):
        raise PermissionDenied(_("You may not write in this thread."))
    body = _body_clean(body, required=not files)
    stored = _files_store(files, application.call.max_file_mb)
    try:
        with transaction.atomic():
            application = (
                Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application_id)
            )
            thread = _thread_get_or_create(application, scope)
            # A member of the organisation who is also staff speaks for the organisation here.
            from_staff = not thread_is_member(actor, application) and thread_is_staff(actor, application, scope)
            return _message_add(thread, application, actor=actor, from_staff=from_staff, body=body, files=stored)
    except BaseException:
        _files_discard(stored)
        raise


def thread_event_record(
    *,
    application: Any,
    event: str,
    actor: Any = None,
    body: str = "",
    data: dict | None = None,
    scope: str = ThreadScope.APPLICATION,
    files: Sequence[dict] = (),
) -> Message:
    """Called by another use case inside its transaction: the event appears in the thread and the
    other side is told of it only by that use case's own notification (no second e-mail)."""
    if event not in EventKind.values:
        raise ValueError(f"unknown thread event {event!r}")
    thread = _thread_get_or_create(application, scope)
    from_staff = actor is None or not thread_is_member(actor, application)
    message = Message.objects.create(
        thread=thread, author=actor, from_staff=from_staff, event=event, body=body or "", data=data or {}
    )
    MessageAttachment.objects.bulk_create([MessageAttachment(message=message, **item) for item in files])
    Thread.objects.filter(pk=thread.pk).update(last_message_id=message.pk, last_message_at=message.created_at)
    if actor is not None:
        _read_up_to(thread, actor, message.pk)
    return message


def thread_files_store(files, max_mb: int) -> list[dict]:
    """For a use case that records an event with files (a clarification answered with documents)."""
    return _files_store(files, max_mb)


def thread_files_discard(stored: list[dict]) -> None:
    _files_discard(stored)


def thread_read_mark(*, actor, thread: Thread) -> None:
    """The reader has seen every message of the thread so far."""
    if thread.last_message_id:
        _read_up_to(thread, actor, thread.last_message_id)


def messages_bulk_send(*, actor, application_ids, scope: str, body: str) -> BulkResult:
    """One message to many organisations, each in its own thread (the application's or the
    grant's); the actor must be the programme's staff in each. One refusal never stops the others."""
    body = _body_clean(body, required=True)
    ids = {int(i) for i in application_ids if str(i).isdigit()}
    if not ids:
        raise ValidationError({"recipients": _("No organisation to write to.")})
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"recipients": _("Write to at most %(n)s at a time.") % {"n": BULK_LIMIT}})
    bulk_key = uuid.uuid4().hex
    applications = list(Application.objects.filter(pk__in=ids).select_related("call", "organisation").order_by("pk"))

    def send(application):
        if not thread_is_staff(actor, application, scope) or not thread_can_view(actor, application, scope):
            raise PermissionDenied(_("You may not write to this organisation."))
        with transaction.atomic():
            locked = Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application.pk)
            thread = _thread_get_or_create(locked, scope)
            _message_add(thread, locked, actor=actor, from_staff=True, body=body, bulk_key=bulk_key)

    return bulk_run(applications, send)


def bulk_recipients(*, actor, call_id: int | None = None, programme_id: int | None = None) -> list[int]:
    """The applications a bulk message goes to: every submitted application of a call, or every
    grant of a programme (their applications); only those the actor is staff for."""
    if call_id is not None:
        found = Application.objects.filter(call_id=call_id, submitted_at__isnull=False)
    elif programme_id is not None:
        found = Application.objects.filter(call__programme_id=programme_id, grant__isnull=False)
    else:
        return []
    if not actor.is_superuser:
        managed = Q(call__programme__roles__user=actor, call__programme__roles__role=MANAGER)
        found = found.filter(managed)
    return list(found.order_by("pk").values_list("pk", flat=True).distinct())
