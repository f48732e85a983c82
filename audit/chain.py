"""Hashing and verification of the audit chain."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from audit.models import GENESIS_HASH, AuditEvent, AuditHead


def event_content(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "data": event.data,
    }


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    canonical = json.dumps(event_content(event), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclass
class ChainReport:
    ok: bool
    count: int
    broken_seq: int | None = None
    problem: str = ""


def chain_verify(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first row whose link or content does not hold."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                problem = f"events {expected_seq}..{event.seq - 1} are missing before this one"
            else:
                problem = f"sequence number out of order (expected {expected_seq})"
            return ChainReport(False, count, event.seq, problem)
        if event.prev_hash != expected_prev:
            return ChainReport(
                False, count, event.seq, "link to the previous event is broken (inserted, deleted or reordered)"
            )
        if event_hash(event.prev_hash, event) != event.hash:
            return ChainReport(False, count, event.seq, "content does not match its hash (edited)")
        expected_prev = event.hash
        expected_seq += 1
        count += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != count or head_hash != expected_prev:
        return ChainReport(
            False,
            count,
            count + 1 if head_seq > count else head_seq,
            f"the chain ends at event {count} but the head records event {head_seq}",
        )
    return ChainReport(True, count)
