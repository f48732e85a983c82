"""The public side of the audit trail: the published signed heads, and the receipt checker. An
organisation pastes its submission reference and its receipt's fingerprint (the SHA-256 of the
content as submitted) and learns that the submission was recorded, when, at which event of the
chain, and that the chain still holds there, without anything of the content being shown."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max

from applications.models import Application
from audit.chain import event_hash
from audit.models import AuditEvent, PublishedHead
from grants.calls.models import Call
from reporting.data.opendata import PUBLIC_CALL_STATES

HEADS_SHOWN = 30


def published_heads(limit: int = HEADS_SHOWN) -> list[PublishedHead]:
    return list(PublishedHead.objects.order_by("-signed_at", "-pk")[:limit])


@dataclass
class ReceiptCheck:
    reference: str
    submitted_at: datetime | None
    seq: int | None = None
    recorded_at: datetime | None = None
    event_holds: bool = False
    signed_head: PublishedHead | None = None
    head_holds: bool = False


def receipt_check(reference: str, fingerprint: str) -> ReceiptCheck | None:
    """What the chain says about a submission; None when no submission has this reference and
    fingerprint (which of the two is wrong is not said). Four queries at most."""
    app = (
        Application.objects.filter(reference=reference.strip().upper(), receipt_sha256=fingerprint)
        .only("pk", "reference", "submitted_at")
        .first()
    )
    if app is None:
        return None
    result = ReceiptCheck(reference=app.reference or "", submitted_at=app.submitted_at)
    event = (
        AuditEvent.objects.filter(
            object_type="applications.application", object_id=str(app.pk), action="submit", data__sha256=fingerprint
        )
        .order_by("seq")
        .first()
    )
    if event is None:
        return result
    result.seq, result.recorded_at = event.seq, event.created_at
    result.event_holds = event_hash(event.prev_hash, event) == event.hash
    head = PublishedHead.objects.filter(seq__gte=event.seq).order_by("signed_at", "pk").first()
    if head is not None:
        result.signed_head = head
        result.head_holds = AuditEvent.objects.filter(seq=head.seq, hash=head.hash).exists()
    return result


def data_files() -> list[dict]:
    """The open-data files of every decided call, with the time of their last change (one query)."""
    calls = (
        Call.objects.filter(state__in=PUBLIC_CALL_STATES)
        .select_related("programme")
        .annotate(last_grant=Max("grants__created_at"), last_payment=Max("grants__payments__recorded_at"))
        .order_by("programme__code", "code")
    )
    rows = []
    for call in calls:
        moments = [m for m in (call.last_grant, call.last_payment) if m is not None]
        rows.append({"call": call, "updated": max(moments) if moments else None})
    return rows
