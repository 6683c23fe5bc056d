"""manage.py seed_demo: the demo's partners, staff, blocked accounts and review queues."""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from reviews.demo.builder import DEMO_PASSWORD, DemoBuilder, demo_usernames
from reviews.demo.purge import demo_purge, domain_has_data
from reviews.transparency.compute import figures_backfill


class Command(BaseCommand):
    help = "Fill the database with the demo: three platforms, their staff, ~5,000 blocked accounts and ~7,000 listings under review; a bank, a telecom and the police with their list entries; an API key per partner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, help="random seed; the same seed builds the same demo"
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply the volume (default 1)"
        )
        parser.add_argument("--reset", action="store_true", help="replace the data already there")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="seed only an empty database; otherwise just print the demo logins",
        )
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="password of every demo account"
        )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "refusing to seed demo accounts with a known password when DJANGO_DEBUG=0"
            )
        scale = options["scale"]
        if not 0 < scale <= 100:
            raise CommandError("--scale must be greater than 0 and at most 100")
        existing = domain_has_data()
        if existing and options["if_empty"]:
            self.stdout.write("The database already holds data; not seeding.")
            self._print_logins(options["password"])
            return
        if existing and not options["reset"]:
            found = ", ".join(f"{n:,} {what}" for what, n in existing.items())
            raise CommandError(
                f"the database already holds data ({found}); run with --reset to replace it"
            )

        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(2**31)
        started = time.monotonic()
        builder = DemoBuilder(seed=seed, scale=scale, password=options["password"])
        with tqdm(total=builder.total_steps, unit="subject", disable=None, desc="seeding") as bar:
            builder.progress = bar.update
            if existing:
                demo_purge()
            summary = builder.build()
        # A fresh demo shows its public figures at once, for every month it spans.
        figures = figures_backfill()
        elapsed = time.monotonic() - started

        self.stdout.write(
            self.style.SUCCESS(f"Demo seeded in {elapsed:.1f} s (seed {seed}, scale {scale:g}).")
        )
        for what, count in summary.counts.items():
            self.stdout.write(f"  {what:<24} {count:>8,}")
        self.stdout.write(f"  {'monthly figures':<24} {figures:>8,}")
        self._print_logins(summary.password)
        self.stdout.write("")
        self.stdout.write(
            "Partner API keys (send as `Authorization: Api-Key <key>`; shown only now — "
            "`manage.py partner_key create <slug>` makes more):"
        )
        for slug, key in summary.api_keys:
            self.stdout.write(f"  {slug:<13} {key}")

    def _print_logins(self, password: str) -> None:
        self.stdout.write("")
        self.stdout.write("Demo logins (username, all with the same password):")
        usernames = demo_usernames()
        for org in ("kolesa", "krisha", "olx", "hub"):
            names = [u for u in usernames if u.startswith(f"{org}.")]
            self.stdout.write(f"  {org:<7} " + "  ".join(names))
        self.stdout.write(f"  password: {password}")
