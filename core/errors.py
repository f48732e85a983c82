"""Errors every part raises and every page and API maps the same way.

- `TransitionRefused`: the object's state does not allow this now (API 409, a message on a page).
- Django's `PermissionDenied`: the role does not allow it (403).
- Django's `ValidationError`: the input is wrong; it names the field (400 / the form shows it).
- `Http404` / `DoesNotExist`: the caller may not see the object at all (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


class TransitionRefused(Exception):
    """The object's state does not allow this transition now (HTTP 409)."""

    def __init__(self, message: _StrOrPromise | None = None) -> None:
        self.message: _StrOrPromise = message or _("This action is not possible in the current state.")
        super().__init__(self.message)
