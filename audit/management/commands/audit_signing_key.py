from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Print a new Ed25519 private key (PEM) for AUDIT_SIGNING_KEY. Keep it outside the database and backups of it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        pem = Ed25519PrivateKey.generate().private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        self.stdout.write(pem.decode(), ending="")
