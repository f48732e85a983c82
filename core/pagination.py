"""One way to cut a list page into pages: Django's Paginator, the page number read from the
query string, the other parameters (search, filters) kept in the pager's links by
`templates/includes/pager.html`. A page costs two queries (count and rows) whatever the size."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


def _order_is_total(items: QuerySet[Any]) -> bool:
    """Whether the queryset's order ends with a unique field, so that reading it backwards gives
    the same rows in the opposite order (ties broken the same way)."""
    order = list(items.query.order_by) or list(items.model._meta.ordering or [])
    if not order or not isinstance(order[-1], str):
        return False
    name = order[-1].lstrip("-")
    if name == "pk":
        return True
    try:
        field = items.model._meta.get_field(name)
    except Exception:  # a related path or an annotation: not known to be unique
        return False
    return bool(getattr(field, "primary_key", False) or getattr(field, "unique", False))


class ListPaginator(Paginator):  # type: ignore[type-arg]  # not subscriptable at run time
    """Django's Paginator, reading a page past the middle from the other end: the last page of
    100,000 rows is read like the first (the order reversed, LIMIT 50) instead of walking every
    row before it (OFFSET 99,950). Pages in the middle still cost their offset.

    With `reuse_count` (CountReusingPaginator), the count of a queryset (every row of the filter,
    the one part that grows with the data) is kept until the next audited change (`audit.cache`),
    keyed by the query's SQL: the same list with the same filters, opened again by anyone who sees
    the same rows, costs no count. Only for lists whose rows come and go through audited use
    cases (applications, reviews, grants, tranches, payments, reports, the reviewer pool), never
    for one changed without an audit event (notifications read, for one)."""

    reuse_count = False

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        items = self.object_list
        if bottom > self.count // 2 and isinstance(items, QuerySet) and _order_is_total(items):
            rows = list(items.reverse()[self.count - top : self.count - bottom])
            rows.reverse()
            return Page(rows, number, self)
        return Page(items[bottom:top], number, self)


def page_of(
    request: HttpRequest,
    items: Any,
    size: int = PAGE_SIZE,
    param: str = "page",
    paginator: type[ListPaginator] = ListPaginator,
) -> Page[Any]:
    """The requested page of `items` (a queryset, ordered); a wrong number gives the nearest page."""
    return paginator(items, size).get_page(request.GET.get(param))
