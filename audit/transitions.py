"""The parts every state change is made of. A service composes them top to bottom, inside its
own transaction, like this:

    with transaction.atomic():
        grant = lock(Grant, grant_id)                                   # the row, locked
        check(actor, grant, "suspend", permission="grants.manage_grant")  # role, then state
        grant.suspended_reason = reason                                 # what the service sets
        transition(grant, "suspend", actor=actor, reason=reason)        # run, save, audit event
        notify_user(...)                                                # outbox rows
    return grant

Nothing else changes a state field: the fields are django-fsm `protected` and every transition
leaves an AuditEvent with the state it left and the state it reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMFieldMixin, TransitionNotAllowed, can_proceed, has_transition_perm

from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import TransitionRefused

if TYPE_CHECKING:
    from django.contrib.auth.models import _AnyUser

M = TypeVar("M", bound=models.Model)


def lock(model: type[M], pk: object) -> M:
    """The row `pk` of `model`, locked until the transaction ends (DoesNotExist if there is none)."""
    row: M = model.objects.select_for_update().get(pk=pk)  # type: ignore[attr-defined]
    return row


def check(actor: _AnyUser | None, obj: models.Model, name: str, *, permission: str | None = None) -> None:
    """May `actor` run transition `name` on `obj` now? PermissionDenied when the role forbids it
    (the object permission first, then the transition's own), TransitionRefused when the state does."""
    if permission:
        assert actor is not None, "a permission is checked for a user, not the system"
        if not actor.has_perm(permission, obj):
            raise PermissionDenied(_("You may not do this."))
    method = getattr(obj, name)
    if not can_proceed(method):
        raise TransitionRefused()
    # django-fsm's annotation leaves out None (the system), which it reads only for a transition naming a permission.
    if not has_transition_perm(method, actor):  # type: ignore[arg-type]
        raise PermissionDenied(_("You may not do this."))


def state_field(obj: models.Model) -> str:
    """The name of the model's state field (each workflow model has exactly one)."""
    name: str = next(f.name for f in obj._meta.concrete_fields if isinstance(f, FSMFieldMixin))
    return name


def transition(
    obj: models.Model,
    name: str,
    *,
    actor: _AnyUser | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AuditEvent:
    """Run transition `name` (its keyword arguments in `kwargs`) on a locked and checked `obj`,
    save it and write the audit event, which is returned."""
    field = state_field(obj)
    from_state = getattr(obj, field)
    try:
        getattr(obj, name)(**kwargs)
    except TransitionNotAllowed as exc:
        raise TransitionRefused() from exc
    obj.save()
    return audit_record(
        actor=actor, action=name, obj=obj, from_state=from_state, to_state=getattr(obj, field), reason=reason, data=data
    )
