"""Sort a list by one of its columns, named in the query string (`?sort=amount` ascending,
`?sort=-amount` descending); only the columns a list offers can be named, anything else keeps
its default order. Each column ends in the primary key, so pages never overlap (and pages past
the middle can be read backwards, `core.pagination`)."""

from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet


@dataclass(frozen=True)
class Sorted:
    key: str  # the column's name as the query string gives it, "" for the default order
    descending: bool

    def value_for(self, column: str) -> str:
        """The `sort` value of a column header's link: ascending first, then the other way."""
        return f"-{column}" if self.key == column and not self.descending else column

    def aria(self, column: str) -> str:
        if self.key != column:
            return "none"
        return "descending" if self.descending else "ascending"


def sort_apply(
    qs: QuerySet[Any], requested: str | None, columns: dict[str, tuple[str, ...]]
) -> tuple[QuerySet[Any], Sorted]:
    """(`qs` ordered by the requested column, Sorted) — or `qs` as it is when none is named."""
    requested = (requested or "").strip()
    descending = requested.startswith("-")
    key = requested.lstrip("-")
    if key not in columns:
        return qs, Sorted("", False)
    fields = [F(name).desc() if descending else F(name).asc() for name in columns[key]]
    return qs.order_by(*fields, "-pk" if descending else "pk"), Sorted(key, descending)
