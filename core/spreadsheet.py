"""CSV and XLSX output that spreadsheet programs cannot be tricked into executing.

A cell that starts with = + - @ tab or carriage return would be read as a formula (CSV
injection); such text cells get a leading apostrophe. Numbers, dates and Decimals stay typed.
Text loses its control and bidirectional characters (core.text; newlines and tabs stay), so a name
stored before they were removed on input cannot reorder what a spreadsheet shows.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook

from core.text import multi_line

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def rows_to_csv(headers: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_safe(h) for h in headers])
    for row in rows:
        writer.writerow([cell_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8 (Cyrillic, Armenian)


def rows_to_xlsx(headers: Iterable[object], rows: Iterable[Iterable[object]], sheet_title: str = "Export") -> bytes:

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([cell_safe(h) for h in headers])
    for row in rows:
        sheet.append([cell_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
