"""manage.py rule_backtest: how a detection rule would have judged past decided cases.

    rule_backtest CODE [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--set key=value ...]

Runs the rule, with its current thresholds or those given with --set, over the subjects of
the cases opened from --since to --until (both days included; the last 90 days by default)
that moderators decided, and compares its hits with how each case turned out
(reviews.rule_stats): a block or removal that was not overturned is a positive, a clearance
or an overturned block a negative; warnings are left out. Prints TP, FP, FN, TN, precision
and recall.

It writes nothing: no signal, no setting, no audit event. It calls the rule's `detect`
directly and rolls back its transaction whatever the rule did.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from antifraud.detection.base import Batch, Rule, settings_of
from antifraud.errors import DomainError
from antifraud.models import Subject
from antifraud.services.detection import (
    rule_or_not_found,
    threshold_shown,
    thresholds_checked,
)
from reviews.rule_stats import CLEARED, OVERTURNED, UPHELD, decided_cases

CHUNK = 500  # subjects per batch, as intake runs them
PERIOD_DAYS = 90


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    it = iter(ids)
    while chunk := list(islice(it, size)):
        yield chunk


class Command(BaseCommand):
    help = "Judge a detection rule against past decided cases, writing nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the rule's code, e.g. lists.match")
        parser.add_argument("--since", help="first day of the cases (default: 90 days ago)")
        parser.add_argument("--until", help="last day of the cases, included (default: today)")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            dest="overrides",
            help="a threshold to try instead of the rule's current one (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rule = rule_or_not_found(options["code"])
        except DomainError as error:
            raise CommandError(error.message) from error
        thresholds = self._thresholds(rule, options["overrides"])
        today = timezone.localdate()
        since = _day(options["since"], "--since") if options["since"] else None
        until = _day(options["until"], "--until") if options["until"] else today
        since = since or until - timedelta(days=PERIOD_DAYS)
        if since > until:
            raise CommandError(f"--since {since} is after --until {until}")

        decided = list(
            decided_cases(since=_start_of(since), until=_start_of(until + timedelta(days=1)))
        )
        cases = [case for case in decided if case.outcome in (UPHELD, OVERTURNED, CLEARED)]
        subject_ids = sorted({c.subject_id for c in cases})
        hit = self._hits(rule, thresholds, subject_ids, verbose=options["verbosity"] > 1)
        tp = sum(1 for c in cases if c.outcome == UPHELD and c.subject_id in hit)
        fp = sum(1 for c in cases if c.outcome != UPHELD and c.subject_id in hit)
        fn = sum(1 for c in cases if c.outcome == UPHELD and c.subject_id not in hit)
        tn = len(cases) - tp - fp - fn

        shown = ", ".join(f"{k}={threshold_shown(v)}" for k, v in thresholds.items()) or "none"
        out = self.stdout.write
        out(f"Rule {rule.code} ({rule.title}) with thresholds {shown}")
        out(
            f"Cases opened {since} to {until} and decided: {len(cases)} "
            f"({tp + fn} blocked or removed and upheld, {fp + tn} cleared or overturned), "
            f"on {len(subject_ids)} subjects; "
            f"{len(decided) - len(cases)} warned left out"
        )
        out(f"TP {tp:>6}  hit, and blocked or removed (not overturned)")
        out(f"FP {fp:>6}  hit, but cleared or overturned")
        out(f"FN {fn:>6}  no hit, but blocked or removed (not overturned)")
        out(f"TN {tn:>6}  no hit, and cleared or overturned")
        out(f"precision {self._ratio(tp, tp + fp)}  (TP / (TP + FP): of the hits, how many right)")
        out(f"recall    {self._ratio(tp, tp + fn)}  (TP / (TP + FN): of the upheld, how many hit)")
        out(
            "Note: the rule looked at the subjects, lists and other data as they are today, "
            "not as they were when each case was decided; what was learnt since (a phone "
            "black-listed by that very decision, say) flatters the rule."
        )

    def _thresholds(self, rule: Rule, overrides: list[str]) -> dict[str, float]:
        given: dict[str, float] = {}
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--set {item!r}: write it as key=value")
            try:
                given[key.strip()] = float(value)
            except ValueError:
                raise CommandError(f"--set {item!r}: {value!r} is not a number") from None
        try:
            checked = thresholds_checked(rule, given)
        except DomainError as error:
            raise CommandError(error.message) from error
        return dict(settings_of([rule])[rule.code].thresholds) | checked

    def _hits(
        self, rule: Rule, thresholds: dict[str, float], subject_ids: list[int], *, verbose: bool
    ) -> set[int]:
        """The subjects the rule hits today, in batches of CHUNK. Whatever a rule might write
        while it looks (an index it keeps, say) is rolled back."""
        now = timezone.now()
        hit: set[int] = set()
        with transaction.atomic():
            for chunk in _chunks(subject_ids, CHUNK):
                subjects = Subject.objects.filter(pk__in=chunk).select_related("partner")
                hit.update(h.subject.pk for h in rule.detect(Batch(subjects, now), thresholds))
                if verbose:
                    self.stderr.write(f"{len(chunk)} subjects looked at, {len(hit)} hit so far")
            transaction.set_rollback(True)
        return hit

    @staticmethod
    def _ratio(part: int, whole: int) -> str:
        return f"{part / whole:.3f}" if whole else "n/a"
