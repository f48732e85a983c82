"""Signed heads: the chain's head signed with a key outside the database, published as
heads.json, and `verify_audit --heads` detecting a rewrite that recomputed every hash."""

import io
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from audit.chain import chain_verify, event_hash
from audit.models import AuditEvent, AuditHead, PublishedHead
from audit.signing import SigningUnavailable, head_sign, heads_document, heads_verify
from tests.audit.test_chain import raw, record
from workers.tasks import audit_head_sign


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def signing_key(settings, tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "audit-signing.pem"
    path.write_text(_pem(key))
    settings.AUDIT_SIGNING_KEY = str(path)  # a file outside the database
    return key


def verify_heads(path, **options):
    out = io.StringIO()
    try:
        call_command("verify_audit", heads=str(path), stdout=out, **options)
    except CommandError as exc:
        return False, str(exc)
    return True, out.getvalue()


def rewrite_from(seq: int) -> None:
    """What a database superuser could do: change an event, recompute every hash after it in SQL
    (past the append-only trigger) and move the head, so that the chain verifies again."""
    raw("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["rewritten", seq])
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        new = event_hash(prev, event)
        raw("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, new, event.seq])
        prev = new
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_audithead SET hash = %s WHERE id = 1", [prev])


@pytest.mark.django_db(transaction=True)
def test_a_rewrite_that_recomputes_every_hash_is_caught_by_an_earlier_signed_head(signing_key, tmp_path):
    record(3)
    head_sign()
    record(3)
    head_sign()
    old = tmp_path / "heads.json"
    old.write_text(json.dumps(heads_document()))  # kept by an outsider before the rewrite
    assert verify_heads(old) == (True, "ok, 6 events; 2 signed heads match\n")

    rewrite_from(5)
    assert chain_verify().ok  # the chain alone no longer tells
    ok, out = verify_heads(old)
    assert not ok and "differs at event 6" in out and "after event 3" in out

    # A head forged without the key is refused on its signature.
    forged = json.loads(old.read_text())
    forged["heads"][0]["hash"] = AuditHead.objects.get().hash
    old.write_text(json.dumps(forged))
    ok, out = verify_heads(old)
    assert not ok and "signature of the head at event 6 is not valid" in out


@pytest.mark.django_db(transaction=True)
def test_a_trusted_public_key_overrides_the_files_own(signing_key, tmp_path):
    record(2)
    head_sign()
    document = heads_document()
    impostor = Ed25519PrivateKey.generate().public_key()
    pem = impostor.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert not heads_verify(document, trusted_public_key=pem.decode()).ok
    assert heads_verify(document).ok


@pytest.mark.django_db(transaction=True)
def test_heads_are_published_with_the_public_key(client, signing_key):
    record(2)
    audit_head_sign.apply(throw=True)  # the daily task of the beat schedule
    response = client.get(reverse("transparency:audit_heads"))
    document = response.json()
    assert response["Access-Control-Allow-Origin"] == "*" and "public" in response["Cache-Control"]
    assert document["heads"][0]["seq"] == 2 and "BEGIN PUBLIC KEY" in document["public_key"]
    assert heads_verify(document).ok
    page = client.get(reverse("transparency:audit")).content.decode()
    assert document["key_id"] in page and document["heads"][0]["hash"] in page


@pytest.mark.django_db
def test_without_a_key_nothing_is_signed(settings):
    settings.AUDIT_SIGNING_KEY = ""
    with pytest.raises(SigningUnavailable):
        head_sign()
    assert audit_head_sign.apply().get() is None and not PublishedHead.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_broken_chain_is_never_signed(signing_key):
    record(3)
    raw("UPDATE audit_auditevent SET reason = 'x' WHERE seq = 2")
    with pytest.raises(CommandError, match="broken at event 2"):
        call_command("sign_audit_head", stdout=io.StringIO())
    assert not PublishedHead.objects.exists()


def test_the_key_can_be_given_as_pem_in_the_environment(settings, db):
    settings.AUDIT_SIGNING_KEY = _pem(Ed25519PrivateKey.generate())
    record(1)
    assert head_sign().seq == 1
