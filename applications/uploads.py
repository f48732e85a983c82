"""Attachments: what a file is, decided by its content, and where it is kept.

Only PDF, DOCX, XLSX, ODT, ODS, PNG and JPEG are accepted, recognised by their magic bytes, never
by the name or the type the browser declares. DOCX/XLSX/ODT/ODS are ZIP archives: their central
directory is checked (entry count, total uncompressed size, compression ratio) before a single
byte is decompressed, and only then is the small entry that names the format read
(`[Content_Types].xml` for Office Open XML, `mimetype` for OpenDocument), with a read capped at
its declared size.

PNG and JPEG images are measured from their header alone (the PNG's IHDR chunk, the JPEG's
start-of-frame segment), never decoded: an image declaring more than
settings.UPLOAD_MAX_IMAGE_PIXELS pixels (a decompression bomb for whoever opens it) is refused,
and so is one whose header cannot be read.

A file name is cleaned like any one-line text (`core.text.single_line`: control and bidi
characters removed, line breaks become spaces).

Files are stored under generated names in the private storage (core.storage: a shared folder or
S3-compatible object storage) and served only through a permission-checked view.
"""

import hashlib
import os
import re
import struct
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from core.storage import file_delete, file_save
from core.text import single_line

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


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size.
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
JPEG_MAX_SEGMENTS = 10_000  # segments before the frame header; real files have a few dozen


def _png_size(fileobj) -> tuple[int, int] | None:
    fileobj.seek(len(PNG_SIGNATURE))
    header = fileobj.read(16)
    if len(header) < 16 or header[4:8] != b"IHDR":
        return None
    width, height = struct.unpack(">II", header[8:16])
    return width, height


def _jpeg_size(fileobj) -> tuple[int, int] | None:
    """Walk the JPEG's segments up to its frame header; no image data is read."""
    fileobj.seek(2)
    for _segment in range(JPEG_MAX_SEGMENTS):
        byte = fileobj.read(1)
        if byte != b"\xff":
            return None
        marker = fileobj.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fileobj.read(1)
        if not marker:
            return None
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD7:  # markers without a length
            continue
        if code in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length_bytes = fileobj.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            return None
        if code in JPEG_SOF:
            frame = fileobj.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        fileobj.seek(length - 2, os.SEEK_CUR)
    return None


def image_check(fileobj, kind: FileKind) -> None:
    """Refuse an image whose header declares more pixels than settings.UPLOAD_MAX_IMAGE_PIXELS, or
    whose header cannot be read; only the header is read, the image is never decoded."""
    if kind.code not in (PNG, JPEG):
        return
    try:
        size = _png_size(fileobj) if kind.code == PNG else _jpeg_size(fileobj)
    finally:
        fileobj.seek(0)
    if size is None or 0 in size:
        raise UploadRefused(_("This image is damaged or incomplete; its size could not be read."))
    width, height = size
    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    if width * height > limit:
        raise UploadRefused(
            _(
                "This image is %(width)s × %(height)s pixels; images may have at most %(limit)s million pixels. "
                "Save it at a smaller size and upload it again."
            )
            % {"width": width, "height": height, "limit": round(limit / 1_000_000, 1)}
        )


def sniff(fileobj, size: int) -> FileKind:  # type: ignore[return]
    """The kind of the file by its content (an image within the pixel limit), or UploadRefused."""
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    if head.startswith(b"%PDF-"):
        return KINDS[PDF]
    if head.startswith(PNG_SIGNATURE):
        image_check(fileobj, KINDS[PNG])
        return KINDS[PNG]
    if head.startswith(b"\xff\xd8\xff"):
        image_check(fileobj, KINDS[JPEG])
        return KINDS[JPEG]
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(fileobj, size)
        fileobj.seek(0)
        return KINDS[kind]
    _refuse_not_allowed()


def clean_name(name: str, kind: FileKind) -> str:
    """The name to show and to offer on download, cleaned of control and bidi characters (one
    line, `core.text`). A name with a path in it is refused; a name whose extension claims another
    accepted format is refused (a spoofed type); a name without a known extension gets the right one."""
    name = single_line(unicodedata.normalize("NFC", name or "")).strip()
    if "/" in name or "\\" in name or name in {".", ".."} or name.startswith(".."):
        raise UploadRefused(_("The file name must not contain a folder path; rename the file and try again."))
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


ATTACHMENTS = "attachments"


def storage_name(stored_name: str) -> str:
    """The attachment's name in the private storage (core.storage); ValueError for a name that
    was not generated here."""
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise ValueError("not a generated name")
    return f"{ATTACHMENTS}/{stored_name[:2]}/{stored_name}"


def store(fileobj) -> tuple[str, str, int]:
    """Copy the file into the private storage under a new generated name; returns (stored_name, sha256, size)."""
    stored_name = uuid.uuid4().hex
    digest, size = hashlib.sha256(), 0
    fileobj.seek(0)
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    file_save(storage_name(stored_name), fileobj)
    return stored_name, digest.hexdigest(), size


def discard(stored_name: str) -> None:
    try:
        file_delete(storage_name(stored_name))
    except ValueError:
        pass
