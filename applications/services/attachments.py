"""Documents attached to an application: uploaded while a draft or a clarification is open,
removed only if they were not part of a submission. A file is judged by its content."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from applications import uploads
from applications.models import Application, ApplicationState, Attachment
from applications.services.drafts import EDIT
from audit.services import audit_record
from core.errors import TransitionRefused
from grants.calls.models import RequiredDocument

ATTACHABLE_STATES = [ApplicationState.DRAFT, ApplicationState.CLARIFICATION_REQUESTED]


def attachment_upload(*, actor, application_id: int, uploaded, document_id: int | None = None) -> Attachment:
    """Accept a file only by its content, within the call's size limits; the draft is untouched
    whatever happens. `uploaded` is a file object with `.name` and `.size` (a Django UploadedFile)."""
    app = Application.objects.select_related("call").get(pk=application_id)
    if not actor.has_perm(EDIT, app):
        raise PermissionDenied(_("Only members of the applicant organisation can add documents."))
    if app.state not in ATTACHABLE_STATES:
        raise TransitionRefused(_("Documents can be added only to a draft or while a clarification is requested."))
    call = app.call
    size = getattr(uploaded, "size", None)
    if size is None:
        raise ValidationError({"file": _("The file could not be read.")})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > call.max_file_mb * 1024 * 1024:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; each file may be at most %(max)s MB.")
                % {"size": round(size / 1024 / 1024, 1), "max": call.max_file_mb}
            }
        )
    slot = None  # the file question holding the document, with its own types and size
    if document_id not in (None, ""):
        document = RequiredDocument.objects.filter(pk=document_id, call_id=call.pk).select_related("question").first()
        if document is None:
            raise ValidationError({"document": _("Choose one of the call's documents.")})
        slot = getattr(document, "question", None)
    else:
        document_id = None
    options = (slot.options or {}) if slot is not None else {}
    if options.get("max_mb") and size > int(options["max_mb"]) * 1024 * 1024:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; this document may be at most %(max)s MB.")
                % {"size": round(size / 1024 / 1024, 1), "max": options["max_mb"]}
            }
        )
    try:
        kind = uploads.sniff(uploaded, size)
        name = uploads.clean_name(getattr(uploaded, "name", ""), kind)
    except uploads.UploadRefused as exc:
        raise ValidationError({"file": exc.message})
    allowed = options.get("file_types") or []
    if allowed and not {ext.lstrip(".") for ext in kind.extensions} & set(allowed):
        raise ValidationError(
            {"file": _("This document is accepted as %(types)s only.") % {"types": ", ".join(allowed)}}
        )
    stored_name, sha256, stored_size = uploads.store(uploaded)
    try:
        with transaction.atomic():
            app = Application.objects.select_for_update().get(pk=application_id)
            if app.state not in ATTACHABLE_STATES:
                raise TransitionRefused(
                    _("Documents can be added only to a draft or while a clarification is requested.")
                )
            used = Attachment.objects.filter(application=app).aggregate(s=Sum("size"))["s"] or 0
            if used + stored_size > call.max_total_mb * 1024 * 1024:
                raise ValidationError(
                    {
                        "file": _(
                            "All documents of one application may take at most %(max)s MB; "
                            "%(used)s MB are used already."
                        )
                        % {"max": call.max_total_mb, "used": round(used / 1024 / 1024, 1)}
                    }
                )
            attachment = Attachment.objects.create(
                application=app,
                document_id=document_id,
                original_name=name,
                stored_name=stored_name,
                content_type=kind.content_type,
                size=stored_size,
                sha256=sha256,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action="attachment_upload",
                obj=app,
                data={
                    "attachment": attachment.pk,
                    "name": name,
                    "sha256": sha256,
                    "size": stored_size,
                    "type": kind.code,
                    "document": document_id,
                },
            )
    except BaseException:
        uploads.discard(stored_name)
        raise
    return attachment


def attachment_delete(*, actor, application_id: int, attachment_id: int) -> None:
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if not actor.has_perm(EDIT, app):
            raise PermissionDenied(_("Only members of the applicant organisation can remove documents."))
        attachment = Attachment.objects.filter(pk=attachment_id, application=app).first()
        if attachment is None:
            raise Attachment.DoesNotExist
        submitted = app.submitted_at is not None and attachment.uploaded_at <= app.submitted_at
        if app.state not in ATTACHABLE_STATES or submitted:
            raise TransitionRefused(_("A document that was submitted cannot be removed."))
        stored_name = attachment.stored_name
        attachment.delete()
        audit_record(
            actor=actor,
            action="attachment_delete",
            obj=app,
            data={"attachment": attachment_id, "name": attachment.original_name},
        )
        transaction.on_commit(lambda: uploads.discard(stored_name))
