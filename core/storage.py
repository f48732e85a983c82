"""Private files: application attachments, signed agreements, grantee report documents, import
previews, generated donor-report PDFs and exports. Every read, write, existence check and delete
goes through Django's storage API, the storage named "private" in settings.STORAGES, so that
every web node and every worker sees the same files: a folder (`PrivateFileSystemStorage` at
settings.PRIVATE_STORAGE_ROOT, shared between machines by a volume) or S3-compatible object
storage (django-storages' S3Storage, chosen in config/settings.py by STORAGE_BACKEND=s3).

Names are relative to the storage ("attachments/ab/ab12…", "donor_reports/donor-report-5.pdf").
A file is saved under a name no row refers to yet, and only then does a row refer to it; a
generated file is built in a local temporary file and saved under its final name by the attempt
that finishes the job, after it has locked the job's row and checked its state
(`file_save(..., replace=True)` first drops what an attempt that died there left).

Downloads are decided by the app (permission, visibility: 404 otherwise), then `file_response`
serves the file: streamed from storage.open() (FileResponse), or, with
settings.PRIVATE_STORAGE_REDIRECT (S3), a redirect to a signed URL that expires after
settings.PRIVATE_STORAGE_URL_SECONDS, with the download's name and type signed into it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import datetime, timedelta
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils import timezone

PRIVATE = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder at settings.PRIVATE_STORAGE_ROOT, read at each use (the tests and benchmarks
    point it at a folder of their own), with no public URL: its files are served only through
    permission-checked views."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL: they are served through permission-checked views.")


def private_storage() -> Storage:
    return storages[PRIVATE]


def file_save(name: str, content: IO[bytes] | File[bytes], *, replace: bool = False) -> str:
    """Save `content` (read from its start) as `name`; returns the name it was saved under.
    `replace`: drop a file already there first (a generated file's finish, under its row's lock,
    where only an attempt that died after saving can have left one)."""
    storage = private_storage()
    if replace:
        storage.delete(name)
    # A File around the bare file object: storages copy it, never move an upload's temporary file.
    inner = content.file if isinstance(content, File) else content
    return storage.save(name, File(inner, name=os.path.basename(name)))


def file_open(name: str) -> File[bytes]:
    """The stored file, opened for reading; FileNotFoundError when it is not there."""
    return private_storage().open(name, "rb")


def file_exists(name: str) -> bool:
    return bool(name) and private_storage().exists(name)


def file_delete(name: str) -> None:
    """Delete `name`; nothing happens when it is already gone."""
    if name:
        private_storage().delete(name)


def file_delete_on_commit(name: str) -> None:
    """Delete `name` once the current transaction commits (its row no longer refers to it)."""
    transaction.on_commit(lambda: file_delete(name))


def files_remove_older(folder: str, older_than: timedelta, *, suffixes: tuple[str, ...] = ()) -> int:
    """Delete the files directly in `folder` last changed more than `older_than` ago (only those
    ending in one of `suffixes`, when given); returns how many."""
    storage = private_storage()
    try:
        _dirs, names = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    limit: datetime = timezone.now() - older_than
    removed = 0
    for name in names:
        if suffixes and not name.endswith(suffixes):
            continue
        path = f"{folder}/{name}"
        try:
            if storage.get_modified_time(path) < limit:
                storage.delete(path)
                removed += 1
        except FileNotFoundError:
            pass  # removed meanwhile by another node
    return removed


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266/5987: an ASCII fallback without quotes, backslashes or control characters, and
    the exact UTF-8 name in filename*."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r'[\x00-\x1f\x7f"\\/;]', "_", ascii_name).strip() or "download"
    if ascii_name.startswith("."):
        ascii_name = "_" + ascii_name
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def signed_url(name: str, *, filename: str, content_type: str) -> str:
    """A URL of the object storage that serves `name` for settings.PRIVATE_STORAGE_URL_SECONDS,
    with Content-Disposition (the download's name) and Content-Type signed into it. S3Storage
    signs it locally, without a request to the storage."""
    storage: Any = private_storage()  # S3Storage.url() takes the response headers and the expiry
    url: str = storage.url(
        name,
        parameters={"ResponseContentDisposition": content_disposition(filename), "ResponseContentType": content_type},
        expire=settings.PRIVATE_STORAGE_URL_SECONDS,
    )
    return url


def file_response(name: str, *, filename: str, content_type: str) -> HttpResponseBase:
    """The answer to a download the view has already allowed: a redirect to a short-lived signed
    URL when the storage is S3 (settings.PRIVATE_STORAGE_REDIRECT), the file streamed from the
    storage otherwise. FileNotFoundError when a streamed file is missing (the view answers 404);
    a redirected one is not looked up first (the row says it is there; S3 answers 404 if not)."""
    response: HttpResponseBase
    if settings.PRIVATE_STORAGE_REDIRECT:
        response = HttpResponseRedirect(signed_url(name, filename=filename, content_type=content_type))
    else:
        response = FileResponse(file_open(name), content_type=content_type)
        response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"  # neither the file nor its signed URL is cached
    return response
