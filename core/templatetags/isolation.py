"""`{{ value|bdi }}`: text a user typed (a title, an organisation's or a person's name, a file
name) shown isolated from the page around it, in `<bdi>`, without control or bidi characters, so
that U+202E and friends in old data cannot reorder what follows it. A built-in of the templates
(settings.TEMPLATES), so no `{% load %}` is needed."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.text import multi_line

register = template.Library()


@register.filter
def bdi(value: object) -> SafeString:
    return format_html("<bdi>{}</bdi>", multi_line(str(value if value is not None else "")))
