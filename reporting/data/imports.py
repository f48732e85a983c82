"""Imports with a preview and row-level errors before anything is saved: organisations,
reviewers, exchange rates (CSV or XLSX).

Built on django-import-export: each importer is an import-export Resource and answers with its
Result (rows new / updated / skipped / invalid, each invalid row with its errors per column),
so previews read the same way as import-export's own. The import itself runs set-wise rather
than row by row: one query loads what already exists, each row is cleaned in Python, the rows
are saved with bulk_create / bulk_update and the whole import leaves one audit event. That is
what lets 10,000 rows be previewed and imported in well under a second (bench/import.py).

A user's import: `import_preview` (stores the file under a token, dry run) → the page shows
the preview → `import_confirm` (all or nothing). When the preview found no error and the
importer allows it (organisations), the confirmation saves the rows the preview checked after
re-checking, in one query, only what may have changed since (an identifier registered
meanwhile); otherwise it imports the stored file again with every check."""

import csv
import io
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export.formats.base_formats import XLSX
from import_export.results import Result, RowResult
from tablib import Dataset

from core.storage import file_delete, file_open, file_save, files_remove_older
from core.text import single_line
from grants.calls.models import Programme
from reporting.data.resources import (
    MAX_ROWS,
    ExchangeRateImport,
    OrganisationImport,
    ProgrammeIndicatorImport,
    ReviewerImport,
)

MAX_BYTES = 10 * 1024 * 1024


PENDING_SECONDS = 24 * 3600  # a preview can be confirmed for a day


@dataclass(frozen=True)
class Importer:
    label: object
    resource: type
    permission: str
    needs_programme: bool = False
    example: str = ""


IMPORTERS = {
    "organisations": Importer(
        gettext_lazy("Organisations"),
        OrganisationImport,
        "reporting.import_organisations",
        example="legal_name,country,org_type,registration_id,website\n"
        "Центр протидії корупції,UA,ngo,UA-EDR-35960913,https://antac.org.ua\n",
    ),
    "reviewers": Importer(
        gettext_lazy("Reviewers"),
        ReviewerImport,
        "reporting.import_reviewers",
        needs_programme=True,
        example="email,full_name,language,expertise,languages,countries\n"
        "anna@example.org,Anna Hovhannisyan,hy,public procurement;open data,hy;en;ru,AM\n",
    ),
    "indicators": Importer(
        gettext_lazy("Programme indicators"),
        ProgrammeIndicatorImport,
        "grants.manage_programme",
        needs_programme=True,
        example="code,level,name,name_uk,name_hy,unit,baseline,target,disaggregation\n"
        "OP1,output,People trained in budget monitoring,Люди навчені моніторингу бюджетів,,people,0,300,country;gender\n",
    ),
    "exchange_rates": Importer(
        gettext_lazy("Exchange rates"),
        ExchangeRateImport,
        "reporting.import_exchange_rates",
        example="month,currency,rate,base\n2026-03,UAH,45.1234,EUR\n2026-03,AMD,420.15,EUR\n",
    ),
}


IMPORTS_FOLDER = "imports"  # previews waiting for confirmation, in the private storage (core.storage)


def _pending(token: str, suffix: str) -> str:
    return f"{IMPORTS_FOLDER}/{token}{suffix}"


def import_dataset(content: bytes, filename: str) -> Dataset:
    """Read CSV (UTF-8, with or without BOM; comma or semicolon) or XLSX into a tablib Dataset."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)}})
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        try:
            dataset = XLSX().create_dataset(content)
        except Exception:
            raise ValidationError({"file": _("This is not a readable XLSX file.")})
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"file": _("Save the CSV file as UTF-8 and upload it again.")})
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        try:
            dataset = _csv_dataset(text, delimiter)
        except csv.Error:
            raise ValidationError({"file": _("This CSV file could not be read.")})
    if len(dataset) > MAX_ROWS:
        raise ValidationError(
            {
                "file": ngettext("At most %(n)s row at a time.", "At most %(n)s rows at a time.", MAX_ROWS)
                % {"n": MAX_ROWS}
            }
        )
    if not len(dataset):
        raise ValidationError({"file": _("The file has no rows below its header.")})
    return dataset


def _csv_dataset(text: str, delimiter: str) -> Dataset:
    """A tablib Dataset from CSV text, built in one go (tablib's own reader checks every row as
    it appends it; here short rows are padded and long ones cut to the header instead)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = next(reader, [])
    width = len(headers)
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, e.g. at the end of the file
        rows.append(row[:width] if len(row) >= width else row + [""] * (width - len(row)))
    return Dataset(*rows, headers=headers)


def _importer(actor, kind: str, programme_id=None):
    if kind not in IMPORTERS:
        raise ValidationError({"kind": _("Unknown import.")})
    spec = IMPORTERS[kind]
    context = {}
    if spec.needs_programme:
        programme = Programme.objects.filter(pk=programme_id).first() if str(programme_id or "").isdigit() else None
        if programme is None:
            raise ValidationError({"programme": _("Choose the programme.")})
        if not actor.has_perm(spec.permission, programme):
            raise PermissionDenied(_("You may not do this."))
        context["programme"] = programme
    elif not actor.has_perm(spec.permission):
        raise PermissionDenied(_("You may not do this."))
    return spec, context


def import_run(
    *, actor, kind: str, content: bytes, filename: str = "import.csv", dry_run: bool, programme_id=None, keep=None
) -> Result:
    spec, context = _importer(actor, kind, programme_id)
    dataset = import_dataset(content, filename)
    resource = spec.resource(**context)
    result = resource.import_data(dataset, dry_run=dry_run, use_transactions=True, actor=actor)
    if keep is not None and getattr(resource, "checked", None) is not None:
        keep["checked"] = resource.checked_payload(resource.checked)
    return result


def import_preview(*, actor, kind: str, content: bytes, filename: str, programme_id=None) -> tuple[str, Result]:
    """Check a file without saving anything; keep it under a token for `import_confirm`."""
    kept: dict[str, object] = {}
    result = import_run(
        actor=actor, kind=kind, content=content, filename=filename, dry_run=True, programme_id=programme_id, keep=kept
    )
    token = secrets.token_urlsafe(18)
    files_remove_older(IMPORTS_FOLDER, timedelta(seconds=PENDING_SECONDS))  # previews nobody confirmed
    file_save(_pending(token, ".data"), ContentFile(content))
    meta = json.dumps(
        {
            "user": actor.pk,
            "kind": kind,
            "filename": single_line(os.path.basename(filename)),
            "programme": programme_id,
            "at": timezone.now().isoformat(),
            "total": result.total_rows,
            "skip": import_summary(result)["skip"],
            "checked": kept.get("checked"),
        }
    )
    file_save(_pending(token, ".json"), ContentFile(meta.encode()))
    return token, result


def import_pending(*, actor, token: str) -> dict:
    if not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", token or ""):
        raise ValidationError(_("This import is no longer available. Upload the file again."))
    try:
        with file_open(_pending(token, ".json")) as fh:
            meta = json.loads(fh.read())
    except FileNotFoundError:
        raise ValidationError(_("This import is no longer available. Upload the file again."))
    if meta["user"] != actor.pk:
        raise ValidationError(_("This import is no longer available. Upload the file again."))
    return meta


def import_confirm(*, actor, token: str) -> Result:
    """Import the previewed file for real: every row or none (any invalid row saves nothing)."""
    meta = import_pending(actor=actor, token=token)
    result = None
    if meta.get("checked") is not None:  # the preview found no error: re-check only what may have changed
        spec, context = _importer(actor, meta["kind"], meta.get("programme"))
        outcome = spec.resource(**context).confirm_checked(meta["checked"], actor)
        if outcome is not None:
            saved, now_existing = outcome
            result = Result()
            result.total_rows = meta["total"]
            result.totals[RowResult.IMPORT_TYPE_NEW] = saved
            result.totals[RowResult.IMPORT_TYPE_SKIP] = meta["skip"] + now_existing
    if result is None:
        with file_open(_pending(token, ".data")) as fh:
            content = fh.read()
        result = import_run(
            actor=actor,
            kind=meta["kind"],
            content=content,
            filename=meta["filename"],
            dry_run=False,
            programme_id=meta.get("programme"),
        )
    if not result.has_validation_errors() and not result.has_errors():
        for suffix in (".data", ".json"):
            file_delete(_pending(token, suffix))
    return result


def import_summary(result: Result) -> dict:
    totals = result.totals
    return {
        "new": totals.get(RowResult.IMPORT_TYPE_NEW, 0),
        "update": totals.get(RowResult.IMPORT_TYPE_UPDATE, 0),
        "skip": totals.get(RowResult.IMPORT_TYPE_SKIP, 0),
        "invalid": totals.get(RowResult.IMPORT_TYPE_INVALID, 0),
        "total": result.total_rows,
    }


def import_errors(result: Result, limit: int = 500) -> list[dict]:
    """Invalid rows for the preview: row number, the row's values, messages per column."""
    rows = []
    for invalid in result.invalid_rows[:limit]:
        messages = []
        for field_name, errors in invalid.error_dict.items():
            label = "" if field_name == NON_FIELD_ERRORS else field_name
            messages += [(label, str(e)) for e in errors]
        rows.append({"number": invalid.number, "values": invalid.values, "messages": messages})
    return rows


def import_example_file(kind: str) -> bytes:
    return ("\ufeff" + IMPORTERS[kind].example).encode("utf-8")
