"""The UI languages and the per-language columns of translated content (django-modeltranslation).

A translated text `title` is stored as `title_en`, `title_uk`… (one column per language in
settings.LANGUAGES); reading `obj.title` gives the active language's text, the main language's
where it is missing. Services write the columns by name: `as_columns` turns a plain `title`
(the main language's text, as forms and the API name it) into `title_en`.
"""

from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils.functional import lazy
from django.utils.translation import get_language, get_language_info, gettext
from modeltranslation.translator import NotRegistered, translator


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def main_language() -> str:
    return settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def translations(name: str) -> list[str]:
    """`title_uk`, `title_hy`…: the columns of every language but the main one."""
    return [f"{name}_{code}" for code in codes() if code != main_language()]


def columns(name: str) -> list[str]:
    """`title_en`, `title_uk`…: the columns of every language, the main one first."""
    return [f"{name}_{main_language()}", *translations(name)]


def translated_fields(model: type[Model] | Model) -> tuple[str, ...]:
    try:
        options: Any = translator.get_options_for_model(model if isinstance(model, type) else type(model))
        return tuple(options.fields)
    except NotRegistered:
        return ()


def as_columns(model: type[Model] | Model, values: dict[str, Any]) -> dict[str, Any]:
    """`{"title": …}` → `{"title_en": …}` for the model's translated texts; other keys unchanged."""
    texts = translated_fields(model)
    return {f"{k}_{main_language()}" if k in texts else k: v for k, v in values.items()}


def shown_language(obj: Model, name: str) -> str:
    """The language `obj.<name>` is shown in: the active one, or the main one where it is missing."""
    active = (get_language() or main_language()).split("-")[0]
    if active in codes() and getattr(obj, f"{name}_{active}", None):
        return active
    return main_language()


def language_label(code: str) -> str:
    """The language's name in the active UI language ("Georgian", "грузинська"…)."""
    return str(dict(settings.LANGUAGES).get(code, code))


def _in_language(text: object, code: str) -> str:
    return gettext("%(text)s (%(language)s)") % {"text": text, "language": language_label(code)}


in_language = lazy(_in_language, str)  # a field's label for one language: "Title (Georgian)"


def translation_codes() -> list[str]:
    """Every language but the main one."""
    return [code for code in codes() if code != main_language()]


def main_text(obj: Model, name: str) -> Any:
    """The main language's text of `obj.<name>` (its own column), or any other attribute as it is."""
    if name in translated_fields(obj):
        return getattr(obj, f"{name}_{main_language()}") or ""
    return getattr(obj, name)


def main_language_texts(form: Any) -> None:
    """A model form's translated texts edit the main language's column, whatever the UI language
    (the other languages have their own page, side by side)."""
    instance = getattr(form, "instance", None)
    for name in translated_fields(form._meta.model):
        if name in form.fields:
            if instance is not None and instance.pk and name not in form.data:
                form.initial[name] = main_text(instance, name)
            form.fields[name].label = in_language(form.fields[name].label, main_language())


def message_texts(key: str, obj: Model, name: str) -> dict[str, str]:
    """`{"call": <main text>, "call_uk": …, "call_ka": …}`: a translated text in a notification's
    context, every language at hand for the relay, which words each message in its recipient's."""
    return {
        key: main_text(obj, name),
        **{f"{key}_{code}": getattr(obj, f"{name}_{code}") or "" for code in translation_codes()},
    }


def message_columns(key: str, path: str) -> dict[str, str]:
    """`message_texts` as columns to read in a values() query: {"call": "call__title_en", …}."""
    return {key: f"{path}_{main_language()}", **{f"{key}_{code}": f"{path}_{code}" for code in translation_codes()}}


def own_name(code: str) -> str:
    """The language's name in its own words, as a menu lists it: "Українська", "Հայերեն", "ქართული"."""
    return str(get_language_info(code)["name_local"]).capitalize()
