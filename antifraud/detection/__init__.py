"""Detection: what the hub itself notices about subjects when reports come in.

One module per rule family (lists, prices, text, photos, repeat registrations, contacts,
bursts), each exporting `RULES`. `run_batch` runs every rule that is not off over the
subjects of an intake chunk, stores each new hit as a signal, and returns per subject the
signals and the list matches the reporting partner learns of at once.

Detection decides what moderators see first, never what is blocked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from antifraud.detection import bursts, contacts, lists, photos, prices, repeat, text
from antifraud.detection.base import Batch, Rule, RuleSetting, settings_of
from antifraud.detection.registry import cleared_lowered
from antifraud.models import DetectionRule, Signal, Subject

FAMILIES = (lists, prices, text, photos, repeat, contacts, bursts)


def rules() -> list[Rule]:
    return [rule for family in FAMILIES for rule in family.RULES]


def rule_named(code: str) -> Rule | None:
    return next((rule for rule in rules() if rule.code == code), None)


@dataclass
class Findings:
    signals: list[Signal] = field(default_factory=list)
    list_matches: list[dict[str, Any]] = field(default_factory=list)


def run_batch(subjects: Iterable[Subject], *, now: datetime) -> dict[int, Findings]:
    """Run every rule on the subjects; new hits are saved as signals. Caller holds the
    transaction. The number of queries depends on the rules, not on the number of
    subjects."""
    batch = Batch(subjects, now)
    findings: dict[int, Findings] = defaultdict(Findings)
    if not batch.subjects:
        return findings
    settings = settings_of(rules())
    seen = _seen(batch)
    new: list[Signal] = []
    for setting in settings.values():
        if setting.mode == DetectionRule.Mode.OFF:
            continue
        for signal in hits_as_signals(setting, batch):
            mark = (signal.subject_id, signal.rule, signal.rule_version, signal.details["key"])
            if mark in seen:
                continue
            seen.add(mark)
            new.append(signal)
            findings[signal.subject_id].signals.append(signal)
    Signal.objects.bulk_create(new)
    for subject_id, matches in lists.public_matches(batch).items():
        findings[subject_id].list_matches = matches
    return findings


def run(*, subject: Subject, now: datetime) -> Findings:
    """Detection for one subject (a subject changed outside intake)."""
    return run_batch([subject], now=now)[subject.pk]


def hits_as_signals(setting: RuleSetting, batch: Batch) -> list[Signal]:
    rule = setting.rule
    made = []
    for found in rule.detect(batch, setting.thresholds):
        hit = cleared_lowered(batch, found) if rule.rests_on_contacts else found
        made.append(
            Signal(
                subject=hit.subject,
                source=rule.source,
                scheme=hit.scheme or rule.scheme,
                score=max(0, min(100, int(hit.score))),
                explanation=hit.explanation.render("en"),
                details={
                    **hit.details,
                    "explain": hit.explanation.as_json(),
                    "key": hit.key,
                    "thresholds": dict(setting.thresholds),
                },
                rule=rule.code,
                rule_version=setting.version,
                shadow=setting.mode == DetectionRule.Mode.SHADOW,
                weight=round(hit.weight, 3),
                created_at=batch.now,
            )
        )
    return made


def _seen(batch: Batch) -> set[tuple[int, str, int | None, str]]:
    """The rule hits already stored on the batch's subjects (one query)."""
    return {
        (subject_id, rule, version, (details or {}).get("key", ""))
        for subject_id, rule, version, details in Signal.objects.filter(
            subject_id__in=[s.pk for s in batch.subjects]
        )
        .exclude(rule="")
        .values_list("subject_id", "rule", "rule_version", "details")
    }
