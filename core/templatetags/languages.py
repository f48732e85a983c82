"""`{{ call|text:"title" }}`: a translated text in the reader's language; where it has no
translation yet, the main language's text, tagged with its language (screen readers switch voice)
and marked as such. `{{ call|shown_in:"description" }}`: the language a text is shown in."""

from django import template
from django.db.models import Model
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.languages import language_label, own_name, shown_language

register = template.Library()


@register.filter
def shown_in(obj: Model, name: str) -> str:
    return shown_language(obj, name)


@register.filter
def text(obj: Model, name: str) -> str:
    value = getattr(obj, name, "") or ""
    lang = shown_language(obj, name)
    if lang == (get_language() or lang).split("-")[0]:
        return format_html("<bdi>{}</bdi>", value)
    return format_html(
        '<bdi lang="{}">{}</bdi> <small class="untranslated">({})</small>',
        lang,
        value,
        _("not translated; in %(language)s") % {"language": language_label(lang)},
    )


@register.filter
def own_language_name(code: str) -> str:
    return own_name(code)
