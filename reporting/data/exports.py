"""CSV and XLSX exports: applications, reviews and scores, grants, tranches and payments, and the
status of grantee reports. What each holds is in reporting/data/tables.py (limited to what the
user may see); files are written with core/spreadsheet.py, which neutralises formulas. An export
of more than jobs.BACKGROUND_ROWS rows runs in the background (reporting/data/jobs.py).
"""

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheet import rows_to_csv, rows_to_xlsx
from reporting.data.tables import EXPORTS, Viewer

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _plain(value):
    """Spreadsheet cells: timestamps in local time without zone (Excel has none)."""
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def export_rows(user, kind: str, filters: dict | None = None, progress=None):
    spec = EXPORTS[kind]
    viewer = Viewer(user)
    qs = spec.queryset(user, filters or {})
    for n, row in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [_plain(v) for v in spec.row(viewer, row)]
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)


def export_count(user, kind: str, filters: dict | None = None) -> int:
    return EXPORTS[kind].queryset(user, filters or {}).count()


def export_render(user, kind: str, file_format: str, filters: dict | None = None, progress=None) -> bytes:
    spec = EXPORTS[kind]
    rows = export_rows(user, kind, filters, progress)
    if file_format == "csv":
        return rows_to_csv(spec.headers(), rows)
    return rows_to_xlsx(spec.headers(), rows, sheet_title=str(spec.label))


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


# --- background exports ---------------------------------------------------------------------------
