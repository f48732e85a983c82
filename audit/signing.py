"""Signed heads of the audit chain. The hash chain alone shows an edited, inserted or deleted row,
but a database superuser can rewrite history and recompute every hash after it. So every day (and
on demand) the chain's head (sequence, hash, time) is signed with an Ed25519 key that lives
outside the database (settings.AUDIT_SIGNING_KEY: a PEM file's path or the PEM itself) and
published (/transparency/audit/heads.json). A rewritten chain no longer matches a head signed
before the rewrite: `heads_verify` names the first signed head that differs.

The signed message is the canonical JSON of {"seq", "hash", "signed_at"} (keys sorted, no spaces)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.chain import chain_verify
from audit.models import GENESIS_HASH, AuditEvent, AuditHead, PublishedHead


class SigningUnavailable(Exception):
    """No signing key is configured, or it is not an Ed25519 private key."""


class ChainBroken(Exception):
    """The chain does not verify: a broken chain is never signed."""


def signing_key() -> Ed25519PrivateKey:
    value = (getattr(settings, "AUDIT_SIGNING_KEY", "") or "").strip()
    if not value:
        raise SigningUnavailable("AUDIT_SIGNING_KEY is not set")
    pem = value.encode() if value.startswith("-----BEGIN") else Path(value).read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningUnavailable("AUDIT_SIGNING_KEY is not an Ed25519 private key")
    return key


def public_key_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def head_message(seq: int, hash_: str, signed_at: str) -> bytes:
    return json.dumps(
        {"hash": hash_, "seq": seq, "signed_at": signed_at}, sort_keys=True, separators=(",", ":")
    ).encode()


def head_sign() -> PublishedHead:
    """Verify the chain, then sign and store its current head. Raises SigningUnavailable without a
    key and ChainBroken when the chain does not verify (it is never signed then)."""
    key = signing_key()
    report = chain_verify()
    if not report.ok:
        raise ChainBroken(f"broken at event {report.broken_seq}: {report.problem}")
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        signed_at = timezone.now().replace(microsecond=0)
        message = head_message(head.seq, head.hash, signed_at.isoformat())
        return PublishedHead.objects.create(
            seq=head.seq,
            hash=head.hash,
            signed_at=signed_at,
            signature=base64.b64encode(key.sign(message)).decode(),
            key_id=key_fingerprint(key.public_key()),
        )


def head_entry(head: PublishedHead) -> dict[str, Any]:
    return {
        "seq": head.seq,
        "hash": head.hash,
        "signed_at": head.signed_at.isoformat(),
        "signature": head.signature,
        "key_id": head.key_id,
    }


def public_key_info() -> tuple[str | None, str | None]:
    """The publisher's public key (PEM) and its fingerprint; (None, None) without a signing key."""
    try:
        public = signing_key().public_key()
    except SigningUnavailable:
        return None, None
    return public_key_pem(public), key_fingerprint(public)


def heads_document() -> dict[str, Any]:
    """What /transparency/audit/heads.json publishes: the public key and the signed heads, newest first."""
    pem, key_id = public_key_info()
    return {
        "algorithm": "Ed25519",
        "message": 'canonical JSON of {"hash", "seq", "signed_at"}: keys sorted, no spaces',
        "public_key": pem,
        "key_id": key_id,
        "heads": [head_entry(h) for h in PublishedHead.objects.order_by("-signed_at", "-pk")],
    }


@dataclass
class HeadsReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    last_good_seq: int | None = None
    problem: str = ""


def _public_key(document: dict[str, Any], trusted_pem: str | None) -> Ed25519PublicKey:
    pem = trusted_pem or document.get("public_key")
    if not pem:
        raise ValueError("the heads file names no public key")
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def heads_verify(document: dict[str, Any], *, trusted_public_key: str | None = None) -> HeadsReport:
    """Check each signed head of `document` (as published in heads.json), oldest first: its
    signature, then that the chain's event at its sequence still has its hash. Names the first
    head that differs and the last that still matched (the rewrite lies between them)."""
    key = _public_key(document, trusted_public_key)
    heads = sorted(document.get("heads") or [], key=lambda h: (int(h["seq"]), str(h["signed_at"])))
    seqs = {int(h["seq"]) for h in heads}
    hashes = dict(AuditEvent.objects.filter(seq__in=seqs).values_list("seq", "hash"))
    hashes[0] = GENESIS_HASH
    last_good = None
    for checked, head in enumerate(heads):
        seq, hash_ = int(head["seq"]), str(head["hash"])
        try:
            key.verify(base64.b64decode(head["signature"]), head_message(seq, hash_, str(head["signed_at"])))
        except (InvalidSignature, ValueError):
            return HeadsReport(False, checked, seq, last_good, f"the signature of the head at event {seq} is not valid")
        if seq not in hashes:
            return HeadsReport(
                False, checked, seq, last_good, f"event {seq}, signed on {head['signed_at']}, is missing"
            )
        if hashes[seq] != hash_:
            since = f"after event {last_good}" if last_good is not None else "from the first event"
            return HeadsReport(
                False,
                checked,
                seq,
                last_good,
                f"event {seq} no longer has the hash signed on {head['signed_at']}: "
                f"the chain was rewritten {since} up to event {seq}",
            )
        last_good = seq
    return HeadsReport(True, len(heads), last_good_seq=last_good)
