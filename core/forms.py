"""How a page shows what a service refused, the same way everywhere.

A service raises `ValidationError` (wrong input, naming the field), `TransitionRefused` (the state
does not allow it now) or `PermissionDenied` (the role does not). On a page with a form the first
lands next to the field it names and the second on the form as a whole; on a page that only acts
(a button) both become a message. `PermissionDenied` is left to Django (403).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import ngettext_lazy

from core.errors import TransitionRefused
from core.formatting import decimal_normalise
from core.text import multi_line, single_line


class TextCleaning(forms.BaseForm):
    """Form mixin (put it first among the bases): every text field's value is cleaned by
    `core.text`, a field shown as a text area with `multi_line`, any other with `single_line`.
    Passwords are left as typed."""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name, field in self.fields.items():
            value = data.get(name)
            if not isinstance(value, str) or not isinstance(field, forms.CharField):
                continue
            if isinstance(field.widget, forms.PasswordInput):
                continue
            data[name] = multi_line(value) if isinstance(field.widget, forms.Textarea) else single_line(value)
        return data


SEVERAL_FILES = ngettext_lazy(
    "Only one file can be uploaded here; %(count)s was sent. Upload them one at a time.",
    "Only one file can be uploaded here; %(count)s were sent. Upload them one at a time.",
    "count",
)


class LocalDecimalField(forms.DecimalField):
    """A number typed the language's way: "1 000,50" in Ukrainian or Armenian, "1,000.50" in English
    (`core.formatting.decimal_normalise`), shown back with the language's decimal separator. A text
    input with `inputmode="decimal"` (a phone shows its number pad), not `type=number`, which
    refuses a comma in some browsers and a space between thousands in all of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            value = decimal_normalise(value)
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        for name in ("step", "min", "max"):  # number-input constraints a text input would misread
            attrs.pop(name, None)
        return attrs


class SeveralFilesInput(forms.ClearableFileInput):
    """A file input that hands over every file sent under its name (Django's own picks the last)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): `cleaned_data` is a list, each
    file checked like a FileField's; none is dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", SeveralFilesInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        files = list(data) if isinstance(data, (list, tuple)) else [data]
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files or [None]]  # none: "required"
        return [f for f in cleaned if f]


class OneFileInput(forms.ClearableFileInput):
    """A one-file input that still hands over every file a request sent under its name, so that
    its field can refuse them rather than keep the last."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        sent = files.getlist(name) if hasattr(files, "getlist") else []
        return sent if len(sent) > 1 else super().value_from_datadict(data, files, name)


class OneFileField(forms.FileField):
    """One file: a request that sends several under this name is refused with a message, never
    cut down to the last one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        widget = kwargs.get("widget")
        kwargs["widget"] = OneFileInput(attrs=widget.attrs if widget is not None else None)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, (list, tuple)):
            if len(data) > 1:
                raise ValidationError(SEVERAL_FILES % {"count": len(data)}, code="several_files")
            data = data[0] if data else None
        return super().clean(data, initial)


def form_errors_add(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form field it names (or on the form as a whole)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def error_text(exc: ValidationError | TransitionRefused) -> str:
    """One line saying what was refused, in the request's language."""
    if isinstance(exc, TransitionRefused):
        return str(exc.message)
    return " ".join(str(m) for m in exc.messages)


def form_run(form: forms.BaseForm, service: Callable[..., Any], /, **kwargs: Any) -> tuple[bool, Any]:
    """Call `service(**kwargs)` for a submitted form: (True, its result), or (False, None) with the
    refusal shown on the form."""
    try:
        return True, service(**kwargs)
    except ValidationError as exc:
        form_errors_add(form, exc)
    except TransitionRefused as exc:
        form.add_error(None, str(exc.message))
    return False, None


def message_run(request: HttpRequest, service: Callable[..., Any], /, **kwargs: Any) -> tuple[bool, Any]:
    """Call `service(**kwargs)` for a button: (True, its result), or (False, None) with the refusal
    shown as an error message on the next page."""
    try:
        return True, service(**kwargs)
    except (ValidationError, TransitionRefused) as exc:
        messages.error(request, error_text(exc))
    return False, None
