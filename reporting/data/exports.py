"""CSV and XLSX exports: applications, reviews and scores, grants, tranches and payments, and the
status of grantee reports. What each holds is in reporting/data/tables.py (limited to what the
user may see); files are written with core/spreadsheet.py, which neutralises formulas.

Every export is written in constant memory: rows come from a server-side cursor in chunks
(QuerySet.iterator) and go out as they come. A small one is answered in the request (CSV streamed
row by row, XLSX through a temporary file); one of more than settings.HROMADA_EXPORT_BACKGROUND_ROWS
rows is built by a worker (reporting/data/jobs.py), whose page shows its progress.
"""

import io
import logging
from collections.abc import Callable, Iterator
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheet import csv_chunks, csv_streamed, xlsx_tempfile, xlsx_write
from reporting.data.tables import EXPORTS, Viewer

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1000
CHUNK_ROWS = 2000  # rows fetched from the database cursor at a time
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _plain(value):
    """Spreadsheet cells: timestamps in local time to the second (Excel has no zones: the column's
    title names it, see tables._timed)."""
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value


def export_rows(user, kind: str, filters: dict | None = None, progress: Callable[[int], None] | None = None):
    """The export's rows, fetched CHUNK_ROWS at a time. What the user may see is decided here, once,
    when it is called (not when the first row is read)."""
    spec = EXPORTS[kind]
    viewer = Viewer(user)
    qs = spec.queryset(user, filters or {})

    def rows() -> Iterator[list]:
        for n, row in enumerate(qs.iterator(chunk_size=CHUNK_ROWS), start=1):
            yield [_plain(v) for v in spec.row(viewer, row)]
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)

    return rows()


def export_count(user, kind: str, filters: dict | None = None) -> int:
    return EXPORTS[kind].queryset(user, filters or {}).count()


# Why an export is empty for a donor, who sees less than the programme's staff (said instead of
# handing over a file with a header row only).
DONOR_EMPTY = {
    "applications": gettext_lazy(
        "Donors see applications from the decision on: no application in the programmes you fund is decided yet."
    ),
    "reviews": gettext_lazy(
        "Reviews and scores stay with the programme's staff and reviewers; donors see the decisions, the grants "
        "and the reports' status."
    ),
    "grants": gettext_lazy("No grant has been made yet in the programmes you fund."),
    "tranches": gettext_lazy("No grant has been made yet in the programmes you fund, so no tranche is planned."),
    "reports": gettext_lazy(
        "Grantee reports are read by the programme's staff; donors see their status on the programme's dashboard "
        "and in the donor report."
    ),
}


def export_empty_reason(user, kind: str) -> str:
    """Why `kind` holds no row for `user`, in words."""
    viewer = Viewer(user)
    if viewer.funded and not (viewer.admin or viewer.managed or viewer.finance) and kind in DONOR_EMPTY:
        return str(DONOR_EMPTY[kind])
    return _("Nothing to export yet: %(what)s holds no row you may see.") % {"what": EXPORTS[kind].label}


def exports_empty(user, filters: dict | None = None) -> dict[str, str]:
    """{kind: why it is empty} for each export with no row for `user` (one query per kind)."""
    return {
        kind: export_empty_reason(user, kind)
        for kind, spec in EXPORTS.items()
        if not spec.queryset(user, filters or {}).exists()
    }


def export_in_background(rows: int) -> bool:
    """Whether an export of this many rows is built by a worker rather than in the request."""
    return rows > settings.HROMADA_EXPORT_BACKGROUND_ROWS


def export_csv_stream(user, kind: str, filters: dict | None = None) -> Iterator[bytes]:
    """The CSV file in pieces, for a StreamingHttpResponse (read while the response is sent)."""
    return csv_streamed(EXPORTS[kind].headers(), export_rows(user, kind, filters))


def export_write(
    out: IO[bytes],
    user,
    kind: str,
    file_format: str,
    filters: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the file into `out` (a binary file, seekable for XLSX) in constant memory; returns the
    number of rows written."""
    spec = EXPORTS[kind]
    written = 0

    def counted():
        nonlocal written
        for row in export_rows(user, kind, filters, progress):
            written += 1
            yield row

    if file_format == "csv":
        for chunk in csv_chunks(spec.headers(), counted()):
            out.write(chunk)
    else:
        xlsx_write(out, spec.headers(), counted(), sheet_title=str(spec.label))
    return written


def export_xlsx_tempfile(user, kind: str, filters: dict | None = None) -> IO[bytes]:
    """The workbook in a temporary file, for a FileResponse (a small export answered in the request)."""
    spec = EXPORTS[kind]
    return xlsx_tempfile(spec.headers(), export_rows(user, kind, filters), sheet_title=str(spec.label))


def export_render(user, kind: str, file_format: str, filters: dict | None = None) -> bytes:
    """The whole file as bytes, in memory: for small files and tests only."""
    buffer = io.BytesIO()
    export_write(buffer, user, kind, file_format, filters)
    return buffer.getvalue()


def export_filename(kind: str, file_format: str) -> str:
    return f"hromada-{kind}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def export_check(kind, file_format, filters):
    if kind not in EXPORTS:
        raise ValidationError({"kind": _("Unknown export.")})
    if file_format not in FORMATS:
        raise ValidationError({"format": _("Choose CSV or XLSX.")})
    for key in ("programme", "call"):
        value = (filters or {}).get(key)
        if value not in (None, "") and not str(value).isdigit():
            raise ValidationError({key: _("Unknown filter value.")})
