"""Acting on many objects at once: each one through its own use case (its own transaction, lock,
check and audit event), so that one refusal (the state moved on, another manager acted first)
never undoes the others; the result says which were done and why the others were not."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from core.errors import TransitionRefused
from core.forms import error_text

BULK_LIMIT = 200  # objects per request: a page and then some, never a whole call by accident


@dataclass
class BulkResult:
    done: list[Any] = field(default_factory=list)
    refused: list[tuple[Any, str]] = field(default_factory=list)  # (object, why)


def bulk_run(objects: Iterable[Any], act: Callable[[Any], Any]) -> BulkResult:
    """`act(obj)` for each object; refusals are collected with their message, in the active language."""
    result = BulkResult()
    for obj in objects:
        try:
            act(obj)
        except (ValidationError, TransitionRefused) as exc:
            result.refused.append((obj, error_text(exc)))
        except PermissionDenied as exc:
            result.refused.append((obj, str(exc) or "—"))
        else:
            result.done.append(obj)
    return result


def bulk_report(request: HttpRequest, result: BulkResult, done_text: str, label: Callable[[Any], str] = str) -> None:
    """Say how many were done (`done_text` % {"n": …}, already in the plural the count needs) and,
    one line each, why the others were not."""
    if result.done:
        messages.success(request, done_text)
    for obj, why in result.refused:
        messages.error(request, f"{label(obj)}: {why}")
