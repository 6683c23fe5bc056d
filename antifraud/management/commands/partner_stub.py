"""manage.py partner_stub: a stand-in partner that receives, verifies and records webhooks."""

from __future__ import annotations

import binascii
import signal
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from standardwebhooks.webhooks import EmptyWebhookSecretError

from accounts.crypto import SecretUnreadable
from accounts.models import Partner
from antifraud.partner_stub import PartnerStub, Received


class Command(BaseCommand):
    help = (
        "Serve a stand-in partner: verify each webhook's signature (400 when it fails), "
        "optionally fail the first requests, record every request as a JSON line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--partner",
            metavar="SLUG",
            help="take the port from this partner's webhook URL and its secret from the database",
        )
        parser.add_argument("--port", type=int, help="port to listen on (0: any free port)")
        parser.add_argument("--secret", help="the partner's signing secret, whsec_…")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument(
            "--fail-first",
            type=int,
            default=0,
            metavar="N",
            help="answer --status to the first N correctly signed requests",
        )
        parser.add_argument(
            "--status", type=int, default=500, help="status of those failures (default 500)"
        )
        parser.add_argument(
            "--delay",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="answer every request this many seconds late, as a slow partner does",
        )
        parser.add_argument(
            "--record",
            type=Path,
            metavar="PATH",
            help="JSON-lines file to append to (default var/partner-stub-<port>.jsonl)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["partner"]:
            if options["port"] is not None or options["secret"]:
                raise CommandError(
                    "--partner reads the port and secret from the database; "
                    "give either --partner or --port and --secret"
                )
            port, secret, label = self._from_partner(options["partner"])
        else:
            if options["port"] is None or not options["secret"]:
                raise CommandError("give --port and --secret, or --partner SLUG")
            port, secret, label = options["port"], options["secret"], "a partner"
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, not {port}")
        if options["fail_first"] < 0:
            raise CommandError("--fail-first must be 0 or more")
        if not 300 <= options["status"] <= 599:
            raise CommandError("--status must be an HTTP error status, 300 to 599")
        if not secret.startswith("whsec_"):
            raise CommandError("--secret must be a Standard Webhooks secret: whsec_ and base64")

        try:
            stub = PartnerStub(
                secret=secret,
                host=options["host"],
                port=port,
                fail_first=options["fail_first"],
                fail_status=options["status"],
                echo=self._print,
                delay=max(0.0, options["delay"]),
            )
        except (EmptyWebhookSecretError, binascii.Error, ValueError) as exc:
            raise CommandError(f"the secret is not valid base64 after whsec_ ({exc})") from exc
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{port}: {exc.strerror or exc}"
            ) from exc

        record = options["record"] or settings.VAR_DIR / f"partner-stub-{stub.port}.jsonl"
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.touch()
        except OSError as exc:
            stub.stop()
            raise CommandError(f"cannot write the record file {record}: {exc.strerror}") from exc
        stub.record = record

        self.stdout.write(
            f"Partner stub for {label} listening on {stub.url}, recording to {record}. "
            "Ctrl-C stops it."
        )
        # honcho and service managers stop their processes with SIGTERM: stop as on Ctrl-C.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)
        try:
            stub.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stub.stop()
        self.stdout.write("Partner stub stopped.")

    def _from_partner(self, slug: str) -> tuple[int, str, str]:
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            raise CommandError(f"no partner with the slug {slug!r}")
        if not partner.webhook_url:
            raise CommandError(f"{partner.name} has no webhook URL; it reads the event feed")
        url = urlsplit(partner.webhook_url)
        if url.scheme != "http":
            raise CommandError(
                f"the stub serves plain HTTP; {partner.name}'s webhook URL is {url.scheme}://"
            )
        try:
            port = url.port
        except ValueError as exc:
            raise CommandError(f"{partner.name}'s webhook URL has a bad port") from exc
        if port is None:
            raise CommandError(f"{partner.name}'s webhook URL names no port")
        try:
            secret = partner.webhook_secret
        except SecretUnreadable as exc:
            raise CommandError(
                f"{partner.name}'s signing secret does not decrypt with SECRETS_ENCRYPTION_KEY"
            ) from exc
        if not secret:
            raise CommandError(f"{partner.name} has no signing secret")
        return port, secret, partner.name

    def _print(self, received: Received) -> None:
        self.stdout.write(received.console_line())
        self.stdout.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
