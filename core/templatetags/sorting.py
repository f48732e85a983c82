"""`{% sort_header "Amount" "amount" sorted %}`: a column header whose link sorts the list by that
column (and the other way on a second click), keeping the filters and search, with `aria-sort`."""

from django import template
from django.utils.html import format_html

from core.sorting import Sorted

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, label: str, column: str, sorted_by: Sorted, css: str = "") -> str:
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    value = sorted_by.value_for(column)
    if query is None:
        href = f"?sort={value}"
    else:
        query["sort"] = value
        query.pop("page", None)  # a new order starts at its first page
        href = f"?{query.urlencode()}"
    aria = sorted_by.aria(column)
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(aria, "")
    return format_html(
        '<th scope="col"{} aria-sort="{}"><a href="{}">{}<span aria-hidden="true">{}</span></a></th>',
        format_html(' class="{}"', css) if css else "",
        aria,
        href,
        label,
        arrow,
    )
