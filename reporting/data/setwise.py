"""The base of every import: a django-import-export resource that checks and writes a whole file set-wise (one query per check for all rows, bulk writes), so an import of 50,000 rows costs a few queries, not one per row."""

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from import_export import resources
from import_export.results import Result, RowResult

from core.text import single_line

PREVIEW_ROWS = 200


BATCH = 2000


def _error(field: str, message) -> ValidationError:
    return ValidationError({field: [str(message)]})


class SetwiseResource(resources.Resource):
    """An import-export Resource whose import is set-wise. Subclasses define `columns`
    ((key, label, required), …), `load_existing(rows)`, `clean_row(values)` → (import_type,
    key, cleaned) or raise ValidationError, and `save(cleaned rows, actor)`."""

    columns: tuple = ()

    def __init__(self, **context):
        super().__init__()
        self.context = context

    # import-export entry point: Resource.import_data wraps this in a transaction (rolled back
    # for a dry run or when any row has an error).
    # Every cell is one line of text without control or bidi characters (core.text).
    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        result = Result()
        result.total_rows = len(dataset)
        result.diff_headers = [str(label) for _key, label, _req in self.columns]
        index = self._header_index(dataset.headers or [], result)
        if index is None:
            return result
        pairs = list(index.items())
        rows = [
            {
                key: (
                    (single_line(v).strip() if v.__class__ is str else _cell(v))
                    if (v := data_row[i]) is not None
                    else ""
                )
                if i is not None
                else ""
                for key, i in pairs
            }
            for data_row in dataset
        ]
        self.load_existing(rows)
        seen = set()
        valid = []
        for number, values in enumerate(rows, start=1):
            row_result = RowResult()
            try:
                import_type, key, cleaned = self.clean_row(values)
                if key in seen:
                    raise _error(self.key_field, _("This row repeats an earlier row of the file."))
                seen.add(key)
            except ValidationError as exc:
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                row_result.validation_error = exc
                result.append_invalid_row(number, values, exc)
            else:
                row_result.import_type = import_type
                row_result.object_repr = key if isinstance(key, str) else " ".join(map(str, key))
                if import_type != RowResult.IMPORT_TYPE_SKIP:
                    valid.append(cleaned)
            if number <= PREVIEW_ROWS or row_result.import_type == RowResult.IMPORT_TYPE_INVALID:
                row_result.row_values = values
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        if not dry_run and not result.has_validation_errors() and valid:
            self.save(valid, kwargs["actor"])
        self.checked = valid if dry_run and not result.has_validation_errors() else None
        return result

    # A resource may let a confirmation reuse what its preview checked (`checked_payload`, JSON)
    # and only re-check what can have changed since, in the database (`confirm_checked`).
    def checked_payload(self, checked):
        return None

    def confirm_checked(self, payload, actor) -> tuple[int, int] | None:
        """Save the previewed rows still new; (saved, now found existing), or None to re-run."""
        return None

    key_field = ""

    def _header_index(self, headers, result):
        normalised = {str(h or "").strip().lower().replace(" ", "_"): i for i, h in enumerate(headers)}
        index, missing = {}, []
        for key, _label, required in self.columns:
            i = normalised.get(key)
            if i is None and required:
                missing.append(key)
            index[key] = i
        if missing:
            result.append_invalid_row(
                0,
                {},
                ValidationError(
                    _("The file has no column %(columns)s. The first row must name the columns: %(expected)s.")
                    % {"columns": ", ".join(missing), "expected": ", ".join(k for k, _l, _r in self.columns)}
                ),
            )
            return None
        return index

    def load_existing(self, rows):  # pragma: no cover - abstract
        raise NotImplementedError

    def clean_row(self, values):  # pragma: no cover - abstract
        raise NotImplementedError

    def save(self, cleaned, actor):  # pragma: no cover - abstract
        raise NotImplementedError


def existing_values(model, field_name: str, values) -> set:
    """Which of `values` the column already holds, in one query. On PostgreSQL the values travel as
    one array parameter (`= ANY(%s)`): an `__in` of 10,000 values costs Django and psycopg more
    time than the query itself."""
    values = list(values)
    if not values:
        return set()
    if connection.vendor == "postgresql":
        column = model._meta.get_field(field_name).column
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(model._meta.db_table)} "
                f"WHERE {connection.ops.quote_name(column)} = ANY(%s)",
                [values],
            )
            return {row[0] for row in cursor.fetchall()}
    found = set()
    for start in range(0, len(values), 500):  # SQLite's limit on query parameters
        found.update(
            model.objects.filter(**{f"{field_name}__in": values[start : start + 500]}).values_list(
                field_name, flat=True
            )
        )
    return found


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return single_line(str(value)).strip()
