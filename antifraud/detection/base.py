"""The shape every detection rule has, and what a run over a batch of subjects does.

A rule is a small unit: a code ("price.below_market"), a version, thresholds with defaults
(an administrator may change them, antifraud.services.detection), a mode (off, shadow, live),
a scheme, and a `detect` function. `detect` looks at a `Batch` — the subjects of one intake
chunk with their identifiers and photos, loaded in a fixed number of queries — and returns
hits: which subject, how strong, and an explanation built from the evidence.

An explanation is an English sentence with named blanks (a gettext message id) and the
values that fill them; it is rendered in the reader's language when shown (English, Russian,
Kazakh). Every hit becomes a stored signal with the rule's code and version, in shadow mode
too: shadow signals are shown to moderators marked as such and never count in the risk.

Detection only queues for humans: nothing here blocks, removes or lists anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from antifraud.models import (
    Category,
    DetectionRule,
    IndicatorKind,
    Photo,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)

Thresholds = Mapping[str, float]


# --- explanations ----------------------------------------------------------------------------


def money(amount: int | float) -> str:
    """12 500 000 — the way prices are written in Kazakhstan, whatever the language."""
    return f"{int(amount):,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class Explanation:
    """A sentence with named blanks and the values for them. `template` is an English
    message id, marked for translation where the rule defines it (gettext_noop). `notes`
    are further sentences, rendered after it: why the signal weighs less than usual."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[Explanation, ...] = ()

    def render(self, language: str | None = None) -> str:
        with translation.override(language or "en"):
            values = {name: _localized(name, value) for name, value in self.params.items()}
            try:
                text = gettext(self.template) % values
            except (KeyError, ValueError, TypeError):
                text = self.template % values
        return " ".join([text, *(note.render(language) for note in self.notes)])

    def noted(self, *notes: Explanation) -> Explanation:
        """The same sentence with these notes after it."""
        return replace(self, notes=(*self.notes, *notes))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"template": self.template, "params": dict(self.params)}
        if self.notes:
            data["notes"] = [note.as_json() for note in self.notes]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Explanation | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("template"), str):
            return None
        params = data.get("params")
        notes = data.get("notes")
        return cls(
            data["template"],
            params if isinstance(params, Mapping) else {},
            tuple(
                note
                for note in (cls.from_json(n) for n in (notes if isinstance(notes, list) else []))
                if note is not None
            ),
        )


def weight_shown(weight: float) -> str:
    """0.4, 0.35, 1 — a weight as an explanation writes it."""
    return f"{weight:.2f}".rstrip("0").rstrip(".")


def _localized(name: str, value: Any) -> Any:
    """Codes shown by their labels in the language: a `category`, `kind` or `scheme` code (a
    scheme lower-cased, for running text); a list of kind codes ("phone, card"); a list of
    [kind, shown] pairs ("Phone +7 701 …, Card •••• 1234")."""
    if name == "category" and value in Category.values:
        return str(Category(value).label)
    if name == "kind" and value in IndicatorKind.values:
        return str(IndicatorKind(value).label)
    if name == "scheme" and value in Scheme.values:
        label = str(Scheme(value).label)
        return label[:1].lower() + label[1:]
    if isinstance(value, list):
        shown = []
        for item in value:
            if isinstance(item, str) and item in IndicatorKind.values:
                shown.append(str(IndicatorKind(item).label).lower())
            elif (
                isinstance(item, list | tuple)
                and len(item) == 2
                and item[0] in IndicatorKind.values
            ):
                shown.append(f"{IndicatorKind(item[0]).label} {item[1]}")
            else:
                shown.append(str(item))
        return ", ".join(shown)
    return value


def signal_explanation(signal: Signal, language: str | None = None) -> str:
    """A signal's explanation in the language (the active one by default)."""
    explanation = Explanation.from_json((signal.details or {}).get("explain", {}))
    if explanation is None:
        return signal.explanation
    return explanation.render(language or translation.get_language())


# --- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    subject: Subject
    score: int
    explanation: Explanation
    # Evidence a moderator (and the backtest) can read back; kept in the signal's details.
    details: Mapping[str, Any] = field(default_factory=dict)
    # The rule's scheme unless the evidence says better (a low price on a flat, not a car).
    scheme: str | None = None
    # What makes this hit the same as an earlier one of the same rule version on the same
    # subject: the same evidence raised again is not stored twice.
    key: str = ""
    # How much the score counts in the risk (Signal.weight): less than 1 when the evidence
    # is weaker than the score says, e.g. a gray entry nobody corroborated for months.
    weight: float = 1.0


@dataclass(frozen=True)
class Rule:
    code: str
    title: str | Promise  # lazy-translated
    looks_at: str | Promise  # lazy: what the rule looks at, for the rules page and README
    scheme: str
    defaults: Mapping[str, float]
    detect: Callable[[Batch, Thresholds], Iterable[Hit]]
    default_mode: str = DetectionRule.Mode.LIVE
    source: str = Signal.Source.DETECTION_RULE
    # The rule's evidence is the subject's contacts and accounts (not its photos or text): a
    # subject carrying a value vetted as honest weighs less (antifraud.detection.registry).
    rests_on_contacts: bool = False


@dataclass(frozen=True)
class RuleSetting:
    """A rule as it runs now: its mode, thresholds and version."""

    rule: Rule
    mode: str
    thresholds: Mapping[str, float]
    version: int


# --- the batch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoRef:
    subject_id: int
    pdq_hash: str
    quality: int | None


class Batch:
    """The subjects one run looks at, and what is known of them, loaded once.

    `identifiers[subject_id]` are the (kind, value) pairs of the subject and, for a listing,
    of its account (contacts belong to the person). Rules needing more (other subjects, the
    lists) query for the whole batch at once; `cache` lets one family's query serve another.
    """

    def __init__(self, subjects: Iterable[Subject], now: datetime) -> None:
        self.subjects: list[Subject] = list({s.pk: s for s in subjects}.values())
        self.now = now
        self.cache: dict[str, Any] = {}
        ids = [s.pk for s in self.subjects]
        # Each listing's account, loaded once for the batch (rules read its age and status).
        account_field = Subject._meta.get_field("account")
        missing = {s.account_id for s in self.subjects if s.account_id} - {
            s.account_id for s in self.subjects if account_field.is_cached(s)
        }
        accounts = Subject.objects.in_bulk(missing) if missing else {}
        for subject in self.subjects:
            if subject.account_id in accounts and not account_field.is_cached(subject):
                subject.account = accounts[subject.account_id]
        owners = {s.pk: [s.pk, *([s.account_id] if s.account_id else [])] for s in self.subjects}
        every = {i for group in owners.values() for i in group}
        own: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for subject_id, kind, value in SubjectIdentifier.objects.filter(
            subject_id__in=every
        ).values_list("subject_id", "kind", "value"):
            own[subject_id].append((kind, value))
        self.identifiers: dict[int, list[tuple[str, str]]] = {
            sid: sorted({pair for owner in group for pair in own.get(owner, [])})
            for sid, group in owners.items()
        }
        self.photos: dict[int, list[PhotoRef]] = defaultdict(list)
        for subject_id, pdq, quality in (
            Photo.objects.filter(subject_id__in=ids)
            .exclude(pdq_hash="")
            .values_list("subject_id", "pdq_hash", "pdq_quality")
        ):
            self.photos[subject_id].append(PhotoRef(subject_id, pdq, quality))

    def listings(self) -> list[Subject]:
        return [s for s in self.subjects if s.kind == Subject.Kind.LISTING]

    def values(self, kind: str | None = None) -> set[str]:
        return {
            value
            for pairs in self.identifiers.values()
            for k, value in pairs
            if kind is None or k == kind
        }


def settings_of(rules: Iterable[Rule]) -> dict[str, RuleSetting]:
    """Each rule's mode, thresholds and version: its row where an administrator changed it,
    else its defaults (one query)."""
    rows = {row.code: row for row in DetectionRule.objects.all()}
    settings = {}
    for rule in rules:
        row = rows.get(rule.code)
        thresholds = dict(rule.defaults)
        if row is not None:
            thresholds.update(
                {k: float(v) for k, v in (row.thresholds or {}).items() if k in rule.defaults}
            )
        settings[rule.code] = RuleSetting(
            rule=rule,
            mode=row.mode if row is not None else rule.default_mode,
            thresholds=thresholds,
            version=row.version if row is not None else 1,
        )
    return settings
