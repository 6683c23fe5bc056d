"""Detection: what the hub itself notices about a subject when a report comes in.

`run` calls each rule family in turn; each returns signals (unsaved) and may add findings to
the answer the partner gets. List matching is here today; pricing, photo and behaviour rules
join as further modules with the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from antifraud.detection import lists
from antifraud.models import Signal, Subject


@dataclass
class Findings:
    signals: list[Signal] = field(default_factory=list)
    list_matches: list[dict[str, Any]] = field(default_factory=list)


RULE_FAMILIES = (lists.detect,)


def run(*, subject: Subject, now: datetime, pairs: set[tuple[str, str]] | None = None) -> Findings:
    """Run every rule family on the subject; the signals returned are saved. `pairs` are the
    subject's (kind, value) identifiers when the caller knows them all already."""
    findings = Findings()
    for detect in RULE_FAMILIES:
        detect(subject=subject, now=now, findings=findings, pairs=pairs)
    for signal in findings.signals:
        signal.save()
    return findings
