"""The one transition pattern every workflow uses.

A service calls `transition_run`: lock the row, check the actor's permission, run the
django-fsm transition, save, write the audit event and register side effects to run after
commit. Nothing else changes a state field."""
from collections.abc import Callable, Iterable
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm
from audit.services import audit_record


class TransitionRefused(Exception):
    """The object's state does not allow this transition now (HTTP 409)."""

    def __init__(self, message=None):
        super().__init__(message or _("This action is not possible in the current state."))
        self.message = message or _("This action is not possible in the current state.")
