"""manage.py partner_key: create, revoke and list partners' API keys.

    partner_key create <partner-slug> [--name NAME]   prints the new key, once
    partner_key revoke <prefix>
    partner_key list <partner-slug>

`create` prints the key alone on stdout (so `KEY=$(manage.py partner_key create kolesa)`
works) and what to do with it on stderr.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import ApiKey
from antifraud.errors import DomainError
from antifraud.management.arguments import local_time, partner_by_slug
from antifraud.services.keys import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create, revoke and list partners' API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{create,revoke,list}"
        )
        create = actions.add_parser("create", help="create a key and print it once")
        create.add_argument("partner", help="the partner's slug")
        create.add_argument("--name", help="what the key is for (default: 'created on <date>')")
        revoke = actions.add_parser("revoke", help="revoke a key at once")
        revoke.add_argument("prefix", help="the key's prefix, as `list` shows it")
        listing = actions.add_parser("list", help="list a partner's keys")
        listing.add_argument("partner", help="the partner's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options: dict[str, Any]) -> None:
        partner = partner_by_slug(options["partner"])
        name = (
            options["name"]
            if options["name"] is not None
            else f"created on {timezone.localdate():%Y-%m-%d}"
        )
        api_key, key = api_key_create(actor=None, partner=partner, name=name)
        self.stderr.write(
            f"API key {api_key.prefix} for {partner.name} ({name}). It is shown only now: "
            "store it in the partner's secret store."
        )
        if not partner.is_active:
            self.stderr.write(f"Note: {partner.name} is inactive; the key works once it is active.")
        self.stdout.write(key)

    def _revoke(self, options: dict[str, Any]) -> None:
        api_key = api_key_revoke(actor=None, prefix=options["prefix"])
        self.stdout.write(
            f"Revoked API key {api_key.prefix} of {api_key.partner.name} ({api_key.name})."
        )

    def _list(self, options: dict[str, Any]) -> None:
        partner = partner_by_slug(options["partner"])
        keys = ApiKey.objects.filter(partner=partner).order_by("created_at", "pk")
        rows = [("prefix", "name", "created", "last used", "revoked")]
        rows += [
            (
                k.prefix,
                k.name,
                local_time(k.created_at),
                local_time(k.last_used_at),
                local_time(k.revoked_at),
            )
            for k in keys
        ]
        if len(rows) == 1:
            self.stdout.write(f"{partner.name} has no API keys.")
            return
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
