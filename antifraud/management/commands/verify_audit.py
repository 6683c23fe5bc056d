"""manage.py verify_audit: chain what is waiting, then walk the whole audit chain.

Exit status: 0 when every chained event holds; 1 at the first broken link (printed on one
line); 2 when `--max-lag` is given and an event has waited longer than that to be chained
(the sequencer is not running).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from antifraud.audit import (
    AuditChainBroken,
    audit_chain_extend,
    audit_chain_state,
    audit_chain_verify,
)


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; exit 1 at the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-extend",
            action="store_true",
            help="only verify; leave events that wait to be chained to the sequencer",
        )
        parser.add_argument(
            "--max-lag",
            type=float,
            metavar="SECONDS",
            help="exit 2 when an event has waited longer than this to be chained",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        before = audit_chain_state()
        if not options["no_extend"]:
            audit_chain_extend()
        try:
            count = audit_chain_verify()
        except AuditChainBroken as broken:
            self.stderr.write(f"audit chain broken at {broken}")
            raise SystemExit(1) from broken
        after = audit_chain_state()
        waiting = (
            f"; {_events(after.unchained)} {'waits' if after.unchained == 1 else 'wait'} "
            "to be chained, the oldest for "
            f"{after.lag().total_seconds():.0f} s"
            if after.unchained
            else ""
        )
        self.stdout.write(f"audit chain intact: {_events(count)}{waiting}")
        max_lag = options["max_lag"]
        if max_lag is not None and before.lag() > timedelta(seconds=max_lag):
            self.stderr.write(
                f"an audit event waited {before.lag().total_seconds():.0f} s to be chained "
                f"(more than {max_lag:g} s): is beat running the sequencer?"
            )
            raise SystemExit(2)


def _events(n: int) -> str:
    # An operator's command speaks English (Django runs commands untranslated).
    return f"{n} event" if n == 1 else f"{n} events"
