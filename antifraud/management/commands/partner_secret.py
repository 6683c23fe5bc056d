"""manage.py partner_secret: set and rotate a partner's webhook signing secret.

    partner_secret rotate <partner-slug> [--overlap-hours 24] [--secret whsec_…]
    partner_secret retire <partner-slug>     end the overlap: sign with the new secret only
    partner_secret status <partner-slug>

`rotate` prints the new secret alone on stdout, once (so `SECRET=$(manage.py partner_secret
rotate kolesa)` works), and what to do with it on stderr. Until the overlap ends, every
webhook carries a signature by the new secret and one by the previous, so the partner
switches its receiver over whenever it is ready.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Partner
from antifraud.errors import DomainError
from antifraud.management.arguments import local_time, partner_by_slug
from antifraud.services.partners import (
    DEFAULT_OVERLAP,
    partner_webhook_secret_retire_previous,
    partner_webhook_secret_rotate,
)


class Command(BaseCommand):
    help = "Set, rotate and retire partners' webhook signing secrets."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{rotate,retire,status}"
        )
        rotate = actions.add_parser("rotate", help="make a new secret and print it once")
        rotate.add_argument("partner", help="the partner's slug")
        rotate.add_argument(
            "--overlap-hours",
            type=float,
            default=DEFAULT_OVERLAP.total_seconds() / 3600,
            help="hours the previous secret keeps signing (default 24; 0 retires it at once)",
        )
        rotate.add_argument(
            "--secret", help="a `whsec_…` secret agreed with the partner instead of a new one"
        )
        retire = actions.add_parser("retire", help="sign with the current secret only")
        retire.add_argument("partner", help="the partner's slug")
        status = actions.add_parser("status", help="when the secret was set, the overlap")
        status.add_argument("partner", help="the partner's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = partner_by_slug(options["partner"])
        try:
            getattr(self, f"_{options['action']}")(partner, options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _rotate(self, partner: Partner, options: dict[str, Any]) -> None:
        hours = options["overlap_hours"]
        if not 0 <= hours <= 24 * 30:
            raise CommandError("--overlap-hours is from 0 to 720")
        partner, secret = partner_webhook_secret_rotate(
            actor=None,
            partner_id=partner.pk,
            overlap=timedelta(hours=hours),
            secret=options["secret"],
        )
        until = partner.previous_webhook_secret_until
        self.stderr.write(
            f"New webhook secret for {partner.name}. It is shown only now: hand it over through "
            "the partner's secret store."
            + (f" The previous secret also signs until {local_time(until)}." if until else "")
        )
        self.stdout.write(secret)

    def _retire(self, partner: Partner, options: dict[str, Any]) -> None:
        partner_webhook_secret_retire_previous(actor=None, partner_id=partner.pk)
        self.stdout.write(f"{partner.name}: webhooks are signed with the current secret only.")

    def _status(self, partner: Partner, options: dict[str, Any]) -> None:
        if not partner.webhook_secret_encrypted:
            self.stdout.write(f"{partner.name} has no webhook secret: `rotate` sets one.")
            return
        until = partner.previous_webhook_secret_until
        overlap = (
            f"; the previous secret also signs until {local_time(until)}"
            if until and until > timezone.now()
            else ""
        )
        self.stdout.write(
            f"{partner.name}: secret set {local_time(partner.webhook_secret_rotated_at)}{overlap}."
        )
