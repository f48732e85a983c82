"""Attachments: what a file is, decided by its content, and where it is kept.

Only PDF, DOCX, XLSX, ODT, ODS, PNG and JPEG are accepted, recognised by their magic bytes, never
by the name or the type the browser declares. DOCX/XLSX/ODT/ODS are ZIP archives: their central
directory is checked (entry count, total uncompressed size, compression ratio) before a single
byte is decompressed, and only then is the small entry that names the format read
(`[Content_Types].xml` for Office Open XML, `mimetype` for OpenDocument), with a read capped at
its declared size.

Files are stored under generated names in settings.PRIVATE_STORAGE_ROOT and served only through
a permission-checked view (`content_disposition` builds a safe header for it).
"""

import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

# Archive limits, checked on the central directory before anything is decompressed.
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_TOTAL_UNCOMPRESSED = 250 * 1024 * 1024
ZIP_MAX_RATIO = 200  # total uncompressed size / size of the file; real office files stay far below
ZIP_MAX_ENTRY_RATIO = 1000
CONTENT_TYPES_MAX = 1024 * 1024
ODF_MIMETYPE_MAX = 200

PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG = "pdf", "docx", "xlsx", "odt", "ods", "png", "jpeg"


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    PDF: FileKind(PDF, "PDF", "application/pdf", (".pdf",)),
    DOCX: FileKind(
        DOCX, "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
    ),
    XLSX: FileKind(
        XLSX, "Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
    ),
    ODT: FileKind(ODT, "OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", (".odt",)),
    ODS: FileKind(ODS, "OpenDocument spreadsheet (ODS)", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    PNG: FileKind(PNG, "PNG", "image/png", (".png",)),
    JPEG: FileKind(JPEG, "JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif")),
}
BY_CONTENT_TYPE = {k.content_type: k for k in KINDS.values()}
ALLOWED_LABEL = "PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG"
ACCEPT_ATTRIBUTE = ",".join(ext for k in KINDS.values() for ext in k.extensions)

OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
}


class UploadRefused(Exception):
    """A file that is not accepted; `message` tells the person why, in their language."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _refuse_not_allowed():
    raise UploadRefused(
        _(
            "This file's content is not one of the accepted formats (%(formats)s). "
            "Whatever its name says, it was not accepted."
        )
        % {"formats": ALLOWED_LABEL}
    )


def _zip_kind(fileobj, size: int) -> str:  # type: ignore[return]
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRefused(_("This file looks like an office document but its archive is damaged."))
    with archive:
        infos = archive.infolist()
        if len(infos) > ZIP_MAX_ENTRIES:
            raise UploadRefused(_("This archive has too many parts (%(n)s) to be a real document.") % {"n": len(infos)})
        total = sum(i.file_size for i in infos)
        if (
            total > ZIP_MAX_TOTAL_UNCOMPRESSED
            or total > ZIP_MAX_RATIO * max(size, 1)
            or any(i.file_size > ZIP_MAX_ENTRY_RATIO * max(i.compress_size, 1) for i in infos)
        ):
            raise UploadRefused(_("This file expands to far more than its size (an archive bomb) and was refused."))
        names = {i.filename: i for i in infos}
        if any(i.flag_bits & 0x1 for i in infos):
            raise UploadRefused(_("Encrypted documents cannot be accepted; save the file without a password."))
        try:
            mimetype = names.get("mimetype")
            if mimetype is not None and mimetype.file_size <= ODF_MIMETYPE_MAX:
                with archive.open(mimetype) as fh:
                    kind = ODF_MIMETYPES.get(fh.read(ODF_MIMETYPE_MAX + 1).strip())
                if kind:
                    return kind
            content_types = names.get("[Content_Types].xml")
            if content_types is not None and content_types.file_size <= CONTENT_TYPES_MAX:
                with archive.open(content_types) as fh:
                    xml = fh.read(CONTENT_TYPES_MAX + 1)
                if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
                    _refuse_not_allowed()
                for marker, kind in OOXML_MAIN.items():
                    if b'ContentType="' + marker + b'"' in xml:
                        return kind
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
            raise UploadRefused(_("This file looks like an office document but its archive is damaged."))
    _refuse_not_allowed()


def sniff(fileobj, size: int) -> FileKind:  # type: ignore[return]
    """The kind of the file by its content, or UploadRefused."""
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    if head.startswith(b"%PDF-"):
        return KINDS[PDF]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS[PNG]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS[JPEG]
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(fileobj, size)
        fileobj.seek(0)
        return KINDS[kind]
    _refuse_not_allowed()


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(name: str, kind: FileKind) -> str:
    """The name to show and to offer on download. A name with a path in it is refused; a name whose
    extension claims another accepted format is refused (a spoofed type); a name without a known
    extension gets the right one."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if "/" in name or "\\" in name or name in {".", ".."} or name.startswith("..") or _UNSAFE_NAME.search(name):
        raise UploadRefused(
            _("The file name must not contain a folder path or control characters; rename the file and try again.")
        )
    if not name:
        name = "document"
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in kind.extensions:
        claimed = next((k for k in KINDS.values() if ext in k.extensions), None)
        if claimed is not None:
            raise UploadRefused(
                _(
                    "The file is named as %(claimed)s but its content is %(actual)s; "
                    "it was not accepted. Upload the original file."
                )
                % {"claimed": claimed.label, "actual": kind.label}
            )
        name = name + kind.extensions[0]
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext)] + ext
    return name


def storage_root() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / "attachments"


def stored_path(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise ValueError("not a generated name")
    return storage_root() / stored_name[:2] / stored_name


def store(fileobj) -> tuple[str, str, int]:
    """Copy the file under a new generated name; returns (stored_name, sha256, size)."""
    stored_name = uuid.uuid4().hex
    target = stored_path(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    digest, size = hashlib.sha256(), 0
    fileobj.seek(0)
    with open(tmp, "wb") as out:
        while chunk := fileobj.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.replace(tmp, target)
    return stored_name, digest.hexdigest(), size


def discard(stored_name: str) -> None:
    try:
        stored_path(stored_name).unlink()
    except (FileNotFoundError, ValueError):
        pass


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266/5987: an ASCII fallback without quotes, backslashes or control characters, and
    the exact UTF-8 name in filename*."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r'[\x00-\x1f\x7f"\\/;]', "_", ascii_name).strip() or "download"
    if ascii_name.startswith("."):
        ascii_name = "_" + ascii_name
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
