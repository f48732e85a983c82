import json
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import chain_verify
from audit.signing import heads_verify


class Command(BaseCommand):
    help = (
        "Verify the hash chain of the audit trail; name the first broken event. With --heads, also check it "
        "against previously published signed heads (a heads.json file or URL): a chain rewritten and re-hashed "
        "after a head was signed no longer matches it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--heads", metavar="FILE_OR_URL", help="a heads.json published earlier")
        parser.add_argument(
            "--public-key", metavar="PEM_FILE", help="the publisher's public key (default: the one in the file)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_verify()
        if not report.ok:
            raise CommandError(
                f"broken at event {report.broken_seq}: {report.problem} ({report.count} events verified before it)"
            )
        if not options.get("heads"):
            self.stdout.write(f"ok, {report.count} events")
            return
        document = self._load(options["heads"])
        trusted = Path(options["public_key"]).read_text() if options.get("public_key") else None
        try:
            heads = heads_verify(document, trusted_public_key=trusted)
        except ValueError as exc:
            raise CommandError(f"the heads file cannot be used: {exc}")
        if not heads.ok:
            raise CommandError(f"differs at event {heads.first_bad_seq}: {heads.problem}")
        self.stdout.write(f"ok, {report.count} events; {heads.checked} signed heads match")

    @staticmethod
    def _load(source: str) -> dict[str, Any]:
        try:
            if source.startswith(("https://", "http://")):
                with urlopen(source, timeout=30) as response:
                    data: dict[str, Any] = json.load(response)
                    return data
            loaded: dict[str, Any] = json.loads(Path(source).read_text())
            return loaded
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {source}: {exc}")
