"""An application's documents: upload, removal and download (members while it is a draft; who may see it afterwards)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications import selectors, services, uploads
from applications.forms import (
    AttachmentForm,
)
from applications.models import ApplicationState, Attachment
from applications.services import EDIT
from applications.views.drafts import _visible
from core.errors import TransitionRefused
from core.forms import message_run
from core.shortcuts import get_visible_or_404
from core.storage import file_response
from core.text import single_line


@login_required
@require_POST
def attachment_upload(request, pk):
    app = _visible(request, pk)
    if not request.user.has_perm(EDIT, app):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES, documents=list(app.call.required_documents.all()))
    back = "applications:application_edit" if app.state == ApplicationState.DRAFT else "applications:application_detail"
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect(back, pk=app.pk)
    # Several files chosen at once: each is checked and stored on its own, and each gets its message.
    for upload in form.cleaned_data["file"]:
        try:
            attachment = services.attachment_upload(
                actor=request.user,
                application_id=app.pk,
                uploaded=upload,
                document_id=form.cleaned_data.get("document") or None,
            )
        except (ValidationError, TransitionRefused) as exc:
            why = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            messages.error(
                request, _("%(name)s was not added: %(why)s") % {"name": single_line(upload.name), "why": why}
            )
        else:
            messages.success(request, _("%(name)s was added.") % {"name": attachment.original_name})
    return redirect(back, pk=app.pk)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    app = _visible(request, pk)
    if not request.user.has_perm(EDIT, app):
        raise PermissionDenied
    try:
        deleted, _result = message_run(
            request, services.attachment_delete, actor=request.user, application_id=app.pk, attachment_id=attachment_pk
        )
    except Attachment.DoesNotExist:
        raise Http404
    if deleted:
        messages.success(request, _("The document was removed."))
    return redirect(
        "applications:application_edit" if app.state == ApplicationState.DRAFT else "applications:application_detail",
        pk=app.pk,
    )


def attachment_response(attachment: Attachment, filename: str | None = None) -> HttpResponseBase:
    try:
        response = file_response(
            uploads.storage_name(attachment.stored_name),
            filename=filename or attachment.original_name,
            content_type=attachment.content_type,
        )
    except (FileNotFoundError, ValueError):
        raise Http404
    if isinstance(response, FileResponse):
        response["Content-Length"] = str(attachment.size)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def attachment_download(request, pk, attachment_pk):
    app = _visible(request, pk)
    attachment = get_visible_or_404(selectors.attachment_list_of(app), attachment_pk)
    return attachment_response(attachment, selectors.attachment_display_name(request.user, attachment, app))
