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
from core.errors import TransitionRefused


def transition_run(
    *,
    model,
    pk,
    transition: str,
    actor,
    permission: str | None = None,
    reason: str = "",
    data: dict | None = None,
    kwargs: dict | None = None,
    prepare: Callable | None = None,
    after_commit: Iterable[Callable] = (),
    effects: Callable | None = None,
):
    """Run `transition` on the locked row `pk` of `model` for `actor`.

    `prepare(obj)` may set fields and raise ValidationError before the transition;
    `effects(obj, event)` runs inside the transaction (outbox rows);
    `after_commit` callables run once the transaction commits.
    """
    with transaction.atomic():
        obj = model.objects.select_for_update().get(pk=pk)
        if permission and not actor.has_perm(permission, obj):
            raise PermissionDenied(_("You may not do this."))
        method = getattr(obj, transition)
        if not can_proceed(method):
            raise TransitionRefused()
        if not has_transition_perm(method, actor):
            raise PermissionDenied(_("You may not do this."))
        if prepare:
            prepare(obj)
        field = method._django_fsm.field
        field_name = field if isinstance(field, str) else field.name
        from_state = getattr(obj, field_name)
        try:
            method(**(kwargs or {}))
        except TransitionNotAllowed as exc:
            raise TransitionRefused() from exc
        obj.save()
        event = audit_record(actor=actor, action=transition, obj=obj, from_state=from_state,
                             to_state=getattr(obj, field_name), reason=reason, data=data)
        if effects:
            effects(obj, event)
        for fn in after_commit:
            transaction.on_commit(fn)
    return obj
