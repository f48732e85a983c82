"""`{% page_query "page" 3 %}`: the current query string with one page parameter changed, so
that a pager's links keep the search and the filters (used by `templates/includes/pager.html`)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, param: str, number: int) -> str:
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        return f"?{param}={number}"
    query[param] = str(number)
    return f"?{query.urlencode()}"
