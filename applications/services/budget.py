"""The budget table of a draft: its rows in canonical form, read from what a page or a client
sent, and its totals by kind of cost (direct, indirect, contingency)."""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.money import AMOUNT_MAX_DIGITS, CENT, amount_parse, cents
from core.text import single_line
from grants.calls.models import HeadingKind

BUDGET_MAX_ROWS = 200


def _decimal_str(value) -> str:
    return "" if value is None else str(cents(value))


def _line(value) -> str:
    """Text of a one-line field (the title, a budget line): breaks become spaces (core.text)."""
    return single_line(str(value or ""))


def _parse_amount(raw, name, errors, *, allow_zero=False, max_digits=AMOUNT_MAX_DIGITS):
    """An amount as `core.money.amount_parse` checks it everywhere, "" when nothing was typed, or
    None with the messages on `name` in `errors`."""
    if str(raw if raw is not None else "").strip() == "":
        return ""
    try:
        return str(amount_parse(raw, allow_zero=allow_zero, max_digits=max_digits))
    except ValidationError as exc:
        errors.setdefault(name, []).extend(exc.messages)
        return None


def budget_rows(lines) -> list[dict]:
    return [
        {
            "heading": line.heading_id,
            "description": line.description,
            "units": _decimal_str(line.units),
            "unit_cost": _decimal_str(line.unit_cost),
        }
        for line in lines
    ]


def _parse_budget(raw, headings: dict, errors) -> list | None:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "[]")
        except ValueError:
            errors.setdefault("budget", []).append(_("The budget table could not be read."))
            return None
    if not isinstance(raw, list) or len(raw) > BUDGET_MAX_ROWS:
        errors.setdefault("budget", []).append(_("The budget table could not be read."))
        return None
    rows, problems = [], []
    for number, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            problems.append(_("Row %(n)s could not be read.") % {"n": number})
            continue
        description = _line(row.get("description")).strip()
        units, cost = str(row.get("units") or "").strip(), str(row.get("unit_cost") or "").strip()
        heading = str(row.get("heading") or "").strip()
        if not (description or units or cost):
            continue  # an empty row
        row_errors: dict[str, list] = {}
        try:
            heading_id = int(heading)
        except ValueError:
            heading_id = None
        if heading_id not in headings:
            problems.append(_("Row %(n)s: choose a budget heading.") % {"n": number})
        if len(description) > 300:
            problems.append(_("Row %(n)s: the description is longer than 300 characters.") % {"n": number})
        # A row being typed is saved with an empty unit cost as 0 (and shown back as 0.00), so 0 is
        # allowed here as the database allows it; the rest is checked as every amount is.
        units_value = _parse_amount(units, "units", row_errors, allow_zero=True, max_digits=12)
        cost_value = _parse_amount(cost, "unit_cost", row_errors, allow_zero=True)
        for column, label in (("units", _("units")), ("unit_cost", _("unit cost"))):
            for message in row_errors.get(column, []):
                problems.append(
                    _("Row %(n)s: %(column)s: %(message)s") % {"n": number, "column": label, "message": message}
                )
        rows.append(
            {
                "heading": heading_id,
                "description": description,
                "units": units_value or "0.00",
                "unit_cost": cost_value or "0.00",
            }
        )
    if problems:
        errors.setdefault("budget", []).extend(problems)
        return None
    return rows


@dataclass
class BudgetSummary:
    direct: Decimal = Decimal("0.00")
    indirect: Decimal = Decimal("0.00")
    contingency: Decimal = Decimal("0.00")
    by_heading: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.direct + self.indirect + self.contingency

    @property
    def indirect_pct(self) -> Decimal | None:
        return (self.indirect * 100 / self.direct).quantize(CENT) if self.direct else None


def budget_summary(rows: list[dict], headings: dict) -> BudgetSummary:
    summary = BudgetSummary()
    for row in rows:
        heading = headings.get(row["heading"])
        total = cents(Decimal(row["units"] or 0) * Decimal(row["unit_cost"] or 0))
        kind = heading.kind if heading else HeadingKind.DIRECT
        if kind == HeadingKind.INDIRECT:
            summary.indirect += total
        elif kind == HeadingKind.CONTINGENCY:
            summary.contingency += total
        else:
            summary.direct += total
        summary.by_heading[row["heading"]] = summary.by_heading.get(row["heading"], Decimal("0.00")) + total
    return summary
