"""Writing audit events. Called inside the transaction of the change it records."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils import timezone

from audit.chain import event_hash
from audit.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from django.contrib.auth.models import _AnyUser, _User
    from django.db import models


def object_label(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def audit_record(
    *,
    actor: _AnyUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type, object_id = object_label(obj)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    user = cast("_User | None", actor if getattr(actor, "is_authenticated", False) else None)
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=user,
        actor_label=user.email if user else (str(actor) if actor else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        from_state=from_state or "",
        to_state=to_state or "",
        reason=reason or "",
        # Stored as plain JSON (Decimals and dates as strings) so the hash is reproducible.
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=head.hash,
    )
    event.hash = event_hash(head.hash, event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event
