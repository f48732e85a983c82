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

from core.errors import TransitionRefused
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
