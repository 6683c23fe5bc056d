"""Named queues: a moderator works "Kolesa.kz listings" or "fake rentals" or "escalations".

A queue is a filter over cases waiting for review, named by a short key that travels in
URLs: `all`, `escalated`, `partner:<slug>`, `partner:<slug>:<kind>`, `scheme:<scheme>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from antifraud.errors import InvalidInput
from antifraud.models import Scheme, Subject


@dataclass(frozen=True)
class Queue:
    key: str
    partner_slug: str | None = None
    kind: str | None = None
    scheme: str | None = None
    escalated: bool = False

    @classmethod
    def parse(cls, key: str | None) -> Queue:
        key = (key or "all").strip()
        parts = key.split(":")
        if key == "all":
            return cls(key=key)
        if key == "escalated":
            return cls(key=key, escalated=True)
        if parts[0] == "partner" and len(parts) in (2, 3) and parts[1]:
            kind = parts[2] if len(parts) == 3 else None
            if kind is not None and kind not in Subject.Kind.values:
                raise InvalidInput(f"unknown subject kind {kind!r}", code="unknown_queue")
            return cls(key=key, partner_slug=parts[1], kind=kind)
        if parts[0] == "scheme" and len(parts) == 2 and parts[1] in Scheme.values:
            return cls(key=key, scheme=parts[1])
        raise InvalidInput(f"unknown queue {key!r}", code="unknown_queue")

    @property
    def waiting_status(self) -> str:
        return "escalated" if self.escalated else "open"

    def condition(self) -> Q:
        """Which cases belong to the queue, whatever their status."""
        q = Q(is_escalated=True) if self.escalated else Q(is_escalated=False)
        if self.partner_slug:
            q &= Q(partner__slug=self.partner_slug)
        if self.kind:
            q &= Q(subject_kind=self.kind)
        if self.scheme:
            q &= Q(scheme=self.scheme)
        return q

    @property
    def label(self) -> str:
        if self.escalated:
            return str(_("Escalations"))
        if self.scheme:
            return str(Scheme(self.scheme).label)
        if self.partner_slug:
            kind = Subject.Kind(self.kind).label if self.kind else _("all kinds")
            return f"{self.partner_slug} · {kind}"
        return str(_("All open cases"))
