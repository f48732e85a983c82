from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; name the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_verify()
        if not report.ok:
            raise CommandError(
                f"broken at event {report.broken_seq}: {report.problem} ({report.count} events verified before it)"
            )
        self.stdout.write(f"ok, {report.count} events")
