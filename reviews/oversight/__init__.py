"""The supervisors' dashboard: what waits and for how long, what was decided and how fast,
which decisions and rules were appealed and overturned, what the lists and look-ups did, and
whether partners get their events — over a period, for one partner or all.

Every selector reads through the access policy (`Model.objects.visible_to(user)`), narrows
to the chosen partner, and — for a moderator's own line — to their own decisions. Each runs
a fixed number of queries however much data there is, counting in the database.

What the figures mean:

- *open*: a case not decided yet (open, claimed, escalated or awaiting approval); an appeal
  submitted or in review. Its *age* runs from when it was opened (filed); the buckets are
  [lower, upper). *Due soon* and *breached* are reviews.deadlines', as the pages mark them.
- *decisions*: those made on cases in the period. A reversal is the outcome of an appeal,
  counted there (overturned), not as a decision.
- *appeal rate*: appealed ÷ blocks and removals (the decisions that can be appealed);
  *overturn rate*: overturned ÷ appeals resolved (upheld or overturned); *agreement*: of
  the decisions a supervisor judged in a quality sample, those agreed with.
- a rule's *precision*: of the decided cases it raised (opened in the period), the share
  blocked or removed and not overturned — from reviews.rule_stats, the rules page's figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accounts.models import Partner
from antifraud import access
from antifraud.models import Delivery, Indicator, LookupTally
from reviews.models import Appeal
from reviews.oversight.filters import Filters
from reviews.oversight.rates import (
    AppealRates,
    ModeratorLine,
    RuleBoard,
    RuleLine,
    moderators,
    rules,
)
from reviews.oversight.registry import (
    DeliveryLine,
    ListActivity,
    LookupActivity,
    LookupLine,
    delivery_health,
    list_activity,
    lookup_activity,
)
from reviews.oversight.work import (
    AGE_BUCKETS,
    AgeBucket,
    AppealLoads,
    CaseLoads,
    DayFlow,
    DecisionBreakdown,
    Durations,
    Load,
    Tally,
    daily_flow,
    decision_breakdown,
    durations,
    open_appeals,
    open_cases,
)

__all__ = [
    "AGE_BUCKETS",
    "AgeBucket",
    "AppealLoads",
    "AppealRates",
    "CaseLoads",
    "Dashboard",
    "DayFlow",
    "DecisionBreakdown",
    "DeliveryLine",
    "Durations",
    "Filters",
    "ListActivity",
    "Load",
    "LookupActivity",
    "LookupLine",
    "ModeratorLine",
    "OwnLine",
    "RuleBoard",
    "RuleLine",
    "Tally",
    "daily_flow",
    "dashboard",
    "decision_breakdown",
    "delivery_health",
    "durations",
    "list_activity",
    "lookup_activity",
    "moderators",
    "open_appeals",
    "open_cases",
    "own_line",
    "rules",
]

# --- the page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    cases: CaseLoads
    appeals: AppealLoads | None
    flow: list[DayFlow]
    decisions: DecisionBreakdown
    times: Durations
    moderators: list[ModeratorLine]
    rules: RuleBoard
    lists: ListActivity | None
    lookups: LookupActivity | None
    deliveries: list[DeliveryLine] | None


def dashboard(f: Filters, partners: Sequence[Partner]) -> Dashboard:
    """Every figure a supervisor sees, in the sections their permissions open; `partners`
    are the partners in the user's scope, already loaded."""
    user = f.user
    return Dashboard(
        cases=open_cases(f),
        appeals=open_appeals(f) if access.may_see_some(user, Appeal) else None,
        flow=daily_flow(f),
        decisions=decision_breakdown(f),
        times=durations(f),
        moderators=moderators(f, named=access.may_see_deciders(user)),
        rules=rules(f),
        lists=list_activity(f) if access.may_see_some(user, Indicator) else None,
        lookups=lookup_activity(f, partners) if access.may_see_some(user, LookupTally) else None,
        deliveries=delivery_health(f, partners) if access.may_see_some(user, Delivery) else None,
    )


@dataclass(frozen=True)
class OwnLine:
    """A moderator's own figures: never a colleague's."""

    decisions: DecisionBreakdown
    line: ModeratorLine | None


def own_line(f: Filters) -> OwnLine:
    """The figures of `f.decider`'s own decisions."""
    if f.decider is None:
        raise ValueError("a moderator's own line names the moderator")
    lines = moderators(f, named=True)
    return OwnLine(decisions=decision_breakdown(f), line=lines[0] if lines else None)
