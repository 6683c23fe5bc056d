"""manage.py transparency_figures: recompute the public pages' monthly figures.

transparency_figures               the current and the previous month (what beat does)
transparency_figures --month 2026-11
transparency_figures --all         every month from the first signal or decision on
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reviews.transparency.compute import (
    figures_backfill,
    figures_recompute,
    figures_refresh,
    month_parse,
)


def _month(value: str) -> date:
    month = month_parse(value.strip())
    if month is None:
        raise CommandError(f"--month {value!r} is not a month (YYYY-MM, e.g. 2026-11)")
    return month


class Command(BaseCommand):
    help = "Recompute the monthly figures of the transparency report and the scam-awareness page."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--month", help="one month, YYYY-MM")
        which.add_argument(
            "--all", action="store_true", help="every month from the first signal or decision"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"] is not None:
            month = _month(options["month"])
            rows = figures_recompute(month=month)
            self.stdout.write(f"{month:%Y-%m}: {rows} figures")
        elif options["all"]:
            self.stdout.write(f"every month: {figures_backfill()} figures")
        else:
            self.stdout.write(f"the current and the previous month: {figures_refresh()} figures")
