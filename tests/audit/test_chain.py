"""The audit trail is append-only and any edit, deletion, insertion or reordering is named."""

from importlib import import_module

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import chain_verify, event_hash
from audit.models import AuditEvent
from audit.services import audit_record

SQLITE_UP = import_module("audit.migrations.0002_append_only").SQLITE_UP


def record(n, actor=None):
    for i in range(n):
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="test_action",
                object_type="tests.thing",
                object_id=str(i),
                from_state="a",
                to_state="b",
                data={"i": i, "amount": "10.50"},
            )


def raw(sql, params=()):
    """Tamper as someone with direct database access would, past the append-only trigger."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = origin")
        else:
            for statement in SQLITE_UP:
                cur.execute(statement)


def verify_output():
    try:
        call_command("verify_audit", stdout=(out := __import__("io").StringIO()))
    except CommandError as exc:
        return False, str(exc)
    return True, out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_intact_chain_says_ok_with_count():
    record(5)
    ok, out = verify_output()
    assert ok and out.strip() == "ok, 5 events"


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_update_and_delete():
    record(2)
    refused = ["UPDATE audit_auditevent SET reason = 'changed'"]
    if connection.vendor == "postgresql":
        refused.append("DELETE FROM audit_auditevent")
    for sql in refused:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_edit_is_named():
    record(5)
    raw("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE seq = 3")
    ok, out = verify_output()
    assert not ok and "broken at event 3" in out and "edited" in out


@pytest.mark.django_db(transaction=True)
def test_deletion_in_the_middle_is_named():
    record(5)
    raw("DELETE FROM audit_auditevent WHERE seq = 2")
    ok, out = verify_output()
    assert not ok and "broken at event 3" in out and "missing" in out


@pytest.mark.django_db(transaction=True)
def test_deletion_of_the_last_event_is_named():
    record(4)
    raw("DELETE FROM audit_auditevent WHERE seq = 4")
    ok, out = verify_output()
    assert not ok and "head records event 4" in out


@pytest.mark.django_db(transaction=True)
def test_insertion_with_a_valid_looking_hash_is_named():
    record(4)
    # Make room after event 2 and forge an event whose own hash is computed correctly.
    raw("UPDATE audit_auditevent SET seq = seq + 100 WHERE seq > 2")
    raw("UPDATE audit_auditevent SET seq = seq - 99 WHERE seq > 100")
    second = AuditEvent.objects.get(seq=2)
    forged = AuditEvent(
        seq=3,
        created_at=second.created_at,
        actor_label="intruder",
        action="payment_record",
        object_type="grants.tranche",
        object_id="1",
        data={"amount": "9999"},
        prev_hash=second.hash,
    )
    forged.hash = event_hash(second.hash, forged)
    raw(
        "INSERT INTO audit_auditevent (seq, created_at, actor_label, action, object_type, object_id, from_state, "
        "to_state, reason, data, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, '', '', '', %s, %s, %s)",
        (
            3,
            forged.created_at,
            forged.actor_label,
            forged.action,
            forged.object_type,
            forged.object_id,
            '{"amount": "9999"}',
            forged.prev_hash,
            forged.hash,
        ),
    )
    ok, out = verify_output()
    assert not ok and "broken at event 4" in out and "link" in out


@pytest.mark.django_db(transaction=True)
def test_reordering_is_named():
    record(5)
    raw("UPDATE audit_auditevent SET seq = -2 WHERE seq = 2")
    raw("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3")
    raw("UPDATE audit_auditevent SET seq = 3 WHERE seq = -2")
    ok, out = verify_output()
    assert not ok and "broken at event 2" in out


@pytest.mark.django_db(transaction=True)
def test_audit_refuses_to_be_written_outside_a_transaction():
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action="x", object_type="t", object_id="1")


@pytest.mark.django_db(transaction=True)
def test_decimal_and_date_details_hash_reproducibly():
    from datetime import date
    from decimal import Decimal

    with transaction.atomic():
        audit_record(
            actor=None,
            action="payment",
            object_type="t",
            object_id="1",
            data={"amount": Decimal("1234.56"), "on": date(2026, 1, 2)},
        )
    assert chain_verify().ok
    assert AuditEvent.objects.get().data == {"amount": "1234.56", "on": "2026-01-02"}
