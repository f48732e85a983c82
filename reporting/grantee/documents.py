"""Supporting documents of grantee reports: what a file really is (by its first bytes, never by
its name or the browser's word) and where it is kept (the private storage of core.storage,
generated names, served only through a permission-checked view).

The check is `applications.uploads.sniff` (with its image pixel limit), so that application
attachments and report documents accept the same files; the file name is cleaned by `core.text`.
"""

import hashlib
import os
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from applications.uploads import UploadRefused, sniff
from core.storage import file_save
from core.text import single_line

MAX_DOCUMENT_MB = 10
ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}


DOCUMENTS = "report_documents"


def document_kind(uploaded) -> str:
    """The content type of an accepted upload; ValidationError saying why otherwise. Uses the
    applications' own check (applications.uploads.sniff: magic bytes, archive-bomb limits) so
    that both kinds of upload accept the same files."""
    try:
        kind = sniff(uploaded, uploaded.size)
    except UploadRefused as exc:
        raise ValidationError({"file": str(exc.message)})
    finally:
        uploaded.seek(0)
    if kind.content_type not in ALLOWED:
        raise ValidationError({"file": _("This kind of file is not accepted.")})
    return kind.content_type


def document_store(uploaded) -> dict:
    """Check and store an uploaded file; returns the fields of a ReportDocument."""
    size = uploaded.size
    if size > MAX_DOCUMENT_MB * 1024 * 1024:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": MAX_DOCUMENT_MB}})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    content_type = document_kind(uploaded)
    stored_name = uuid.uuid4().hex + ALLOWED[content_type]
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    file_save(document_path(stored_name), uploaded)
    return {
        "original_name": single_line(os.path.basename(uploaded.name or "")).strip()[:200] or "document",
        "stored_name": stored_name,
        "content_type": content_type,
        "size": size,
        "sha256": digest.hexdigest(),
    }


def document_path(stored_name: str) -> str:
    """The document's name in the private storage (core.storage)."""
    return f"{DOCUMENTS}/{os.path.basename(stored_name)}"
