from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.signing import ChainBroken, SigningUnavailable, head_sign


class Command(BaseCommand):
    help = "Verify the audit chain and sign its head now with AUDIT_SIGNING_KEY (also done daily by Celery beat)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            head = head_sign()
        except (SigningUnavailable, ChainBroken) as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"signed event {head.seq} ({head.hash}) at {head.signed_at.isoformat()}")
