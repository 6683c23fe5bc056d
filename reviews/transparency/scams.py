"""The scam-awareness page (/scams/): which schemes moderators took down this month and last,
how each works, how to recognise it, and what to do.

`scam_figures` is a maker of reviews.transparency: it turns a month's take-downs into
`scam.*` figures. The page then reads those few rows, never the subjects, so its cost does
not grow with them. What the figures may hold is narrow on purpose: counts, a median price
and price ratio, the names of categories, and the *dictionary* phrases of the prepayment rule
that matched — never a listing's own words, title, contacts, photos or links, so the page
cannot point at any person.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.functional import Promise

from antifraud import detection
from antifraud.detection import prices, text
from antifraud.detection.base import Rule, money
from antifraud.models import Category, Scheme, Signal, Subject
from reviews.models import Decision, MonthlyFigure, Policy
from reviews.transparency import min_count, shown
from reviews.transparency.advice import ADVICE

SEEN = "scam.seen"
PRICE_MEDIAN = "scam.price_median"
RATIO_MEDIAN = "scam.price_ratio_median"
PHRASE = "scam.phrase"
CATEGORY = "scam.category"
METRICS = (SEEN, PRICE_MEDIAN, RATIO_MEDIAN, PHRASE, CATEGORY)

PRICE_RULE = "price.below_market"
TEXT_RULE = "text.prepayment"
# The only phrases a figure may name: the prepayment rule's dictionary. A signal's details
# also carry the listing's own words ("quote"); a phrase not in the dictionary is dropped,
# so nothing a subject wrote can reach the page, whatever a stored signal says.
DICTIONARY = frozenset(p.text for _kind, p in text.PHRASES)
KEY_MAX = MonthlyFigure._meta.get_field("key").max_length or 100
PHRASES_SHOWN = 5

# Rules whose hits take their scheme from the evidence rather than the rule's own: a low
# price on a flat is a property scam, a prepayment asked on a short-term rental a fake
# rental, a burst of new goods listings a fictitious store.
ALSO_RAISES: dict[str, frozenset[str]] = {
    PRICE_RULE: frozenset(prices.SCHEME_BY_CATEGORY.values()),
    TEXT_RULE: frozenset({Scheme.FAKE_RENTAL}),
    "burst.young_account": frozenset({Scheme.FICTITIOUS_STORE}),
    "burst.same_text": frozenset({Scheme.FAKE_RENTAL}),
}


# --- the maker -----------------------------------------------------------------------------


def taken_down(start: datetime, end: datetime) -> QuerySet[Decision]:
    """The blocks and removals decided in [start, end) that still stand: a decision
    overturned on appeal was no scam."""
    return Decision.objects.filter(
        decided_at__gte=start,
        decided_at__lt=end,
        action__in=[Decision.Action.BLOCK_ACCOUNT, Decision.Action.REMOVE_LISTING],
        reversed_by__isnull=True,
    ).order_by()


def scheme_decided() -> Coalesce:
    """The scheme a decision was made under: its cited policy's, else its case's."""
    return Coalesce(NullIf("policy__scheme", Value("")), "case__scheme")


def _decided(
    decided: QuerySet[Decision],
) -> tuple[dict[int, set[str]], dict[int, tuple[str, int | None]]]:
    """The schemes each subject was taken down under, and each listing's category and price
    in tenge (None when it had none): one streamed query."""
    schemes_of: dict[int, set[str]] = defaultdict(set)
    listings: dict[int, tuple[str, int | None]] = {}
    for scheme, subject_id, kind, category, price, currency in decided.values_list(
        scheme_decided(),
        "subject_id",
        "subject__kind",
        "subject__category",
        "subject__price",
        "subject__currency",
    ).iterator(chunk_size=2000):
        if scheme not in Scheme.values:
            continue
        schemes_of[subject_id].add(scheme)
        if kind == Subject.Kind.LISTING:
            priced = price if price and currency == "KZT" else None
            listings[subject_id] = (category if category in Category.values else "", priced)
    return schemes_of, listings


def _evidence(
    decided: QuerySet[Decision], end: datetime
) -> tuple[dict[int, float], dict[int, set[str]]]:
    """Each subject's price ratio (of its latest price signal) and the dictionary phrases
    its prepayment signals matched, as detection saw them before `end`: one streamed query."""
    ratios: dict[int, float] = {}
    phrases_of: dict[int, set[str]] = defaultdict(set)
    for subject_id, rule, details in (
        Signal.objects.filter(
            subject_id__in=decided.values("subject_id"),
            source=Signal.Source.DETECTION_RULE,
            rule__in=[PRICE_RULE, TEXT_RULE],
            created_at__lt=end,
        )
        .order_by("created_at", "pk")
        .values_list("subject_id", "rule", "details")
        .iterator(chunk_size=2000)
    ):
        details = details if isinstance(details, dict) else {}
        if rule == PRICE_RULE and isinstance(details.get("ratio"), int | float):
            ratios[subject_id] = float(details["ratio"])
        elif rule == TEXT_RULE:
            for found in details.get("phrases") or []:
                said = found.get("phrase") if isinstance(found, dict) else None
                if said in DICTIONARY:
                    phrases_of[subject_id].add(said)
    return ratios, phrases_of


def scam_figures(*, start: datetime, end: datetime) -> list[MonthlyFigure]:
    """The month's `scam.*` figures for all partners together, in two queries."""
    month = timezone.localtime(start).date().replace(day=1)
    decided = taken_down(start, end)
    schemes_of, listings = _decided(decided)
    ratios, phrases_of = _evidence(decided, end)

    seen: Counter[str] = Counter()
    prices_by: dict[str, list[int]] = defaultdict(list)
    ratios_by: dict[str, list[float]] = defaultdict(list)
    phrases: Counter[tuple[str, str]] = Counter()
    categories: Counter[tuple[str, str]] = Counter()
    for subject_id, schemes in schemes_of.items():
        category, price = listings.get(subject_id, ("", None))
        for scheme in schemes:
            seen[scheme] += 1
            if price is not None:
                prices_by[scheme].append(price)
            if subject_id in ratios:
                ratios_by[scheme].append(ratios[subject_id])
            if category:
                categories[(scheme, category)] += 1
            for said in phrases_of.get(subject_id, ()):
                phrases[(scheme, said)] += 1

    now = timezone.now()

    def figure(metric: str, key: str, value: float, basis: int) -> MonthlyFigure:
        return MonthlyFigure(
            month=month,
            partner=None,
            metric=metric,
            key=key,
            value=value,
            basis=basis,
            computed_at=now,
        )

    made = [figure(SEEN, scheme, n, n) for scheme, n in sorted(seen.items())]
    made += [
        figure(PRICE_MEDIAN, scheme, float(statistics.median(values)), len(values))
        for scheme, values in sorted(prices_by.items())
    ]
    made += [
        figure(RATIO_MEDIAN, scheme, round(statistics.median(values), 4), len(values))
        for scheme, values in sorted(ratios_by.items())
    ]
    made += [
        figure(PHRASE, f"{scheme}|{said}", n, n)
        for (scheme, said), n in sorted(phrases.items())
        if len(f"{scheme}|{said}") <= KEY_MAX  # a cut phrase would name another one
    ]
    made += [
        figure(CATEGORY, f"{scheme}|{category}", n, n)
        for (scheme, category), n in sorted(categories.items())
    ]
    return made


# --- the page ------------------------------------------------------------------------------


def scam_months(today: date | None = None) -> tuple[date, date]:
    """This month and the one before, as their first days (site time zone)."""
    this = (today or timezone.localdate()).replace(day=1)
    return this, (this - timedelta(days=1)).replace(day=1)


def rounded(value: float) -> int:
    """To two significant digits, halves up: 2 450 000 -> 2 500 000, 7 340 -> 7 300."""
    if value < 1:
        return 0
    step = 10 ** max(math.floor(math.log10(value)) - 1, 0)
    return math.floor(value / step + 0.5) * step


def phrase_shown(said: str) -> str:
    """A dictionary phrase as a reader takes it: "перевед* ~ на карт" -> "перевед… на карт";
    a trailing * (any ending) and ~ (words in between) become an ellipsis."""
    words: list[str] = []
    for part in said.split():
        if part == "~":
            if words and not words[-1].endswith("…"):
                words[-1] += " …"
            continue
        words.append(part[:-1] + "…" if part.endswith("*") else part)
    return " ".join(words)


def rules_of(scheme: str) -> list[Rule]:
    return [
        rule
        for rule in detection.rules()
        if rule.scheme == scheme or scheme in ALSO_RAISES.get(rule.code, ())
    ]


@dataclass(frozen=True)
class PolicyText:
    code: str
    title: str
    text: str


@dataclass
class SchemeShown:
    """One scheme as the page describes it. A count is None where it is suppressed."""

    scheme: str
    this_month: int | None = 0
    last_month: int | None = 0
    policies: list[PolicyText] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    price: str = ""  # "2 400 000", rounded to two significant digits; "" when not shown
    percent: int | None = None
    phrases: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    advice: tuple[Promise, ...] = ()
    often: int = 0  # the published counts of the two months together, for the order

    @property
    def label(self) -> str:
        return str(Scheme(self.scheme).label)

    @property
    def has_examples(self) -> bool:
        return bool(self.price or self.percent is not None or self.phrases or self.categories)


@dataclass(frozen=True)
class ScamsOverview:
    this_month: date
    last_month: date
    seen: list[SchemeShown]
    others: list[SchemeShown]  # by name (and its policy), not seen often enough
    minimum: int


def _usable(basis: int) -> bool:
    return basis >= min_count() and shown(basis)


def scams_overview(*, months: tuple[date, date], language: str) -> ScamsOverview:
    """What /scams/ shows for this month and the last, in `language`: two queries."""
    this_month, last_month = months
    rows = MonthlyFigure.objects.filter(
        month__in=months, partner__isnull=True, metric__in=METRICS
    ).values_list("month", "metric", "key", "value", "basis")
    seen: dict[str, dict[date, int]] = defaultdict(dict)
    medians: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    tallies: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for month, metric, key, value, basis in rows:
        if metric == SEEN:
            seen[key][month] = int(value)
        elif metric in (PRICE_MEDIAN, RATIO_MEDIAN) and _usable(basis):
            medians[(metric, key)].append((basis, value))
        elif metric in (PHRASE, CATEGORY) and _usable(basis):
            scheme, _bar, what = key.partition("|")
            tallies[(metric, scheme)][what] += int(value)

    policies: dict[str, list[PolicyText]] = defaultdict(list)
    for policy in (
        Policy.objects.filter(is_current=True, status=Policy.Status.PUBLISHED)
        .exclude(scheme="")
        .order_by("code")
    ):
        policies[policy.scheme].append(
            PolicyText(
                policy.code, policy.localized("title", language), policy.localized("text", language)
            )
        )

    def count(scheme: str, month: date) -> int | None:
        value = seen.get(scheme, {}).get(month, 0)
        return value if shown(value) else None

    def median(metric: str, scheme: str) -> float | None:
        # Of the two months, the one resting on more records.
        found = max(medians.get((metric, scheme), []), default=None)
        return found[1] if found else None

    listed, others = [], []
    for scheme in Scheme.values:
        item = SchemeShown(
            scheme=scheme,
            this_month=count(scheme, this_month),
            last_month=count(scheme, last_month),
            policies=policies.get(scheme, []),
        )
        item.often = (item.this_month or 0) + (item.last_month or 0)
        if not any(_usable(n) for n in seen.get(scheme, {}).values()):
            # "Other" names no scheme a reader could look out for.
            if scheme != Scheme.OTHER:
                others.append(item)
            continue
        item.rules = rules_of(scheme)
        price = median(PRICE_MEDIAN, scheme)
        item.price = money(rounded(price)) if price else ""
        ratio = median(RATIO_MEDIAN, scheme)
        item.percent = round(ratio * 100) if ratio is not None else None
        item.phrases = [
            phrase_shown(said)
            for said, _n in _most(tallies.get((PHRASE, scheme), Counter()))[:PHRASES_SHOWN]
        ]
        item.categories = [
            str(Category(code).label)
            for code, _n in _most(tallies.get((CATEGORY, scheme), Counter()))
            if code in Category.values
        ]
        item.advice = ADVICE.get(scheme, ())
        listed.append(item)
    listed.sort(key=lambda s: (-s.often, s.label))
    others.sort(key=lambda s: s.label)
    return ScamsOverview(this_month, last_month, listed, others, min_count())


def _most(tally: Counter[str]) -> list[tuple[str, int]]:
    return sorted(tally.items(), key=lambda pair: (-pair[1], pair[0]))
