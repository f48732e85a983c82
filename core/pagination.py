"""One way to cut a list page into pages: Django's Paginator, the page number read from the
query string, the other parameters (search, filters) kept in the pager's links by
`templates/includes/pager.html`. A page costs two queries (count and rows) whatever the size."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 50


def page_of(request: HttpRequest, items: Any, size: int = PAGE_SIZE, param: str = "page") -> Page[Any]:
    """The requested page of `items` (a queryset, ordered); a wrong number gives the nearest page."""
    return Paginator(items, size).get_page(request.GET.get(param))
