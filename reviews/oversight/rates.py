"""How often decisions were appealed and overturned, per moderator and per detection rule,
and the rules' precision."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from antifraud import detection
from antifraud.detection.base import settings_of
from antifraud.models import DetectionRule
from reviews.models import Appeal, QualitySample
from reviews.oversight.filters import Filters
from reviews.percentiles import Spread, spreads
from reviews.rule_stats import BLOCKING, RuleFigures, Share, rule_performance

_APPEAL_COUNTS = {
    "appealable": Q(action__in=BLOCKING),
    "appealed": Q(appeal__isnull=False),
    "resolved": Q(appeal__status__in=Appeal.RESOLVED),
    "overturned": Q(appeal__status=Appeal.Status.OVERTURNED),
}


@dataclass(frozen=True)
class AppealRates:
    decisions: int = 0
    appealable: int = 0  # blocks and removals
    appealed: int = 0
    resolved: int = 0
    overturned: int = 0

    @property
    def appeal_rate(self) -> Share:
        return Share(self.appealed, self.appealable)

    @property
    def overturn_rate(self) -> Share:
        return Share(self.overturned, self.resolved)


@dataclass(frozen=True)
class ModeratorLine:
    user_id: int | None  # None: decided automatically
    name: str
    rates: AppealRates
    to_decide: Spread
    # Of their decisions a supervisor judged in a quality sample, those agreed with.
    agreement: Share = field(default_factory=lambda: Share(0, 0))


def moderators(f: Filters, *, named: bool) -> list[ModeratorLine]:
    """Per moderator, their decisions of the period, how fast, how often appealed and
    overturned, and how often a supervisor agreed with those sampled: two queries. Without
    `named`, colleagues are numbered, not named."""
    decisions = f.decisions()
    verdict = QualitySample.Verdict
    rows = (
        decisions.values("decided_by_id", "decided_by__username")
        .annotate(
            decisions=Count("pk"),
            **{key: Count("pk", filter=condition) for key, condition in _APPEAL_COUNTS.items()},
            judged=Count("pk", filter=Q(quality_sample__verdict__in=verdict.values)),
            agreed=Count("pk", filter=Q(quality_sample__verdict=verdict.AGREE)),
        )
        .order_by("-decisions", "decided_by_id")
    )
    times = spreads(decisions, start="case__opened_at", end="decided_at", group="decided_by_id")
    lines = []
    for n, row in enumerate(rows, start=1):
        user_id = row.pop("decided_by_id")
        username = row.pop("decided_by__username")
        agreement = Share(row.pop("agreed"), row.pop("judged"))
        if user_id is None:
            name = str(_("Decided automatically"))
        else:
            name = username if named else str(_("Moderator %(n)s") % {"n": n})
        lines.append(
            ModeratorLine(
                user_id, name, AppealRates(**row), times.get(user_id, Spread()), agreement
            )
        )
    return lines


@dataclass(frozen=True)
class RuleLine:
    code: str
    mode: str  # DetectionRule.Mode, "" for a rule no longer in the code
    figures: RuleFigures | None  # cases opened in the period (reviews.rule_stats)
    rates: AppealRates  # decisions of the period on cases the rule raised

    @property
    def mode_label(self) -> str:
        return str(DetectionRule.Mode(self.mode).label) if self.mode else "—"

    @property
    def precision(self) -> Share:
        """Of the decided cases, those blocked or removed and not overturned."""
        if self.figures is None:
            return Share(0, 0)
        upheld = self.figures.blocked.count - self.figures.overturned.count
        return Share(upheld, self.figures.decided)


@dataclass(frozen=True)
class RuleBoard:
    live: list[RuleLine]
    not_live: list[RuleLine]  # in shadow mode, off, or gone: shown apart


def rules(f: Filters) -> RuleBoard:
    """Per detection rule, its precision (the rules page's figures) and how often the
    decisions on the cases it raised were appealed and overturned: three queries."""
    modes = {code: s.mode for code, s in settings_of(detection.rules()).items()}
    figures = {
        r.code: r
        for r in rule_performance(
            since=f.since,
            until=f.until,
            user=f.user,
            partner_id=f.partner.pk if f.partner else None,
        )
    }
    # One row per decision and rule: a case with several signals of a rule counts once.
    rows = (
        f.decisions()
        .annotate(rule=F("case__signals__rule"))
        .filter(rule__gt="")
        .values("rule")
        .annotate(
            decisions=Count("pk", distinct=True),
            **{
                key: Count("pk", distinct=True, filter=condition)
                for key, condition in _APPEAL_COUNTS.items()
            },
        )
        .order_by()
    )
    rates = {row.pop("rule"): AppealRates(**row) for row in rows}
    lines = [
        RuleLine(code, modes.get(code, ""), figures.get(code), rates.get(code, AppealRates()))
        for code in sorted(figures.keys() | rates.keys())
    ]
    return RuleBoard(
        live=[line for line in lines if line.mode == DetectionRule.Mode.LIVE],
        not_live=[line for line in lines if line.mode != DetectionRule.Mode.LIVE],
    )
