"""CSV and XLSX output that spreadsheet programs cannot be tricked into executing.

A cell that starts with = + - @ tab or carriage return would be read as a formula (CSV
injection); such text cells get a leading apostrophe. Numbers, dates and Decimals stay typed.
Text loses its control and bidirectional characters (core.text; newlines and tabs stay), so a name
stored before they were removed on input cannot reorder what a spreadsheet shows.

Both formats are written in constant memory whatever the number of rows: `csv_chunks` yields the
file a few dozen kilobytes at a time (for a StreamingHttpResponse or a file), `xlsx_write` writes
a write-only workbook (openpyxl keeps each row in a temporary file, strings inline) into a file.
`rows_to_csv` and `rows_to_xlsx` return the whole file as bytes: for small files only.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone, translation
from openpyxl import Workbook

from core.text import multi_line

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV file as UTF-8 (Cyrillic, Armenian) only after it
CHUNK_CHARS = 64 * 1024  # a streamed CSV file is sent in pieces of about this size

Cell = str | int | float | Decimal | datetime | date


def cell_safe(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value
    text = multi_line(str(value))
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_chunks(headers: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """The CSV file (UTF-8 with its BOM) in pieces of about CHUNK_CHARS, row by row as `rows` yields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([cell_safe(h) for h in headers])
    for row in rows:
        writer.writerow([cell_safe(v) for v in row])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_streamed(headers: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """`csv_chunks` for a StreamingHttpResponse. Its rows are read while the response is sent, after
    the view has returned: in the language and time zone of the request, fixed now."""
    headers = list(headers)
    language, zone = translation.get_language(), timezone.get_current_timezone()

    def chunks() -> Iterator[bytes]:
        with translation.override(language), timezone.override(zone):
            yield from csv_chunks(headers, rows)

    return chunks()


def rows_to_csv(headers: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    return b"".join(csv_chunks(headers, rows))


def xlsx_write(
    out: IO[bytes] | str,
    headers: Iterable[object],
    rows: Iterable[Iterable[object]],
    sheet_title: str = "Export",
) -> None:
    """Write the workbook into `out` (a path or a seekable binary file) in constant memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([cell_safe(h) for h in headers])
    for row in rows:
        sheet.append([cell_safe(v) for v in row])
    workbook.save(out)


def xlsx_tempfile(
    headers: Iterable[object], rows: Iterable[Iterable[object]], sheet_title: str = "Export"
) -> IO[bytes]:
    """The workbook in an anonymous temporary file (gone once closed), read from its start: for a
    FileResponse, which closes it once sent."""
    out = tempfile.TemporaryFile()
    try:
        xlsx_write(out, headers, rows, sheet_title=sheet_title)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def rows_to_xlsx(headers: Iterable[object], rows: Iterable[Iterable[object]], sheet_title: str = "Export") -> bytes:
    buffer = io.BytesIO()
    xlsx_write(buffer, headers, rows, sheet_title=sheet_title)
    return buffer.getvalue()
