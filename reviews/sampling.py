"""Quality sampling: which decisions are drawn for a supervisor's second look, the sample
queue, and how often supervisors agree with each moderator.

The draw is deterministic per decision: a keyed hash of the decision's id, read as a number
in [0, 1), is compared with `QUALITY_SAMPLE_RATE`. Anyone holding the key can tell why a
decision was drawn, a test can draw ten thousand ids with a key of its own, and a moderator,
who does not hold it, cannot tell which of their decisions will be looked at.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from accounts.models import Partner, User
from reviews.models import Decision, QualitySample, QualitySampleQuerySet

_SCALE = float(2**64)


def draw_key() -> bytes:
    """The deployment's key for draws, derived from SECRET_KEY (never the key itself)."""
    return hashlib.sha256(b"antifraud.quality-sample:" + settings.SECRET_KEY.encode()).digest()


def sample_draw(decision_id: int, *, key: bytes | None = None) -> float:
    """The decision's draw: a number in [0, 1), the same every time for the same key."""
    digest = hmac.new(key or draw_key(), str(decision_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def is_drawn(decision_id: int, *, rate: float, key: bytes | None = None) -> bool:
    return sample_draw(decision_id, key=key) < rate


def first_decision_at(moderator: User) -> datetime | None:
    """When the moderator first decided a case (reversals on appeal are not counted)."""
    return (
        Decision.objects.filter(decided_by=moderator)
        .exclude(action=Decision.Action.REVERSE)
        .aggregate(first=Min("decided_at"))["first"]
    )


def is_new_moderator(moderator: User, now: datetime) -> bool:
    """In their first QUALITY_NEW_MODERATOR_DAYS days of deciding, counted from their first
    decision rather than from `date_joined`: an account opened weeks before its holder
    starts work still has its first decisions all looked at."""
    first = first_decision_at(moderator)
    return first is None or now - first < timedelta(days=settings.QUALITY_NEW_MODERATOR_DAYS)


# --- the sample queue ---------------------------------------------------------------------


def samples_for(*, user: User, reviewed: bool | None = None) -> QualitySampleQuerySet:
    """The samples the user may see: unreviewed first (oldest first), then the reviewed
    ones (newest verdict first), with what the queue shows."""
    samples = QualitySample.objects.visible_to(user)
    if reviewed is not None:
        samples = samples.filter(reviewed_at__isnull=not reviewed)
    return samples.select_related(
        "decision__subject__partner",
        "decision__policy",
        "decision__decided_by",
        "decision__approved_by",
        "reviewer",
    ).order_by(F("reviewed_at").desc(nulls_first=True), "drawn_at", "pk")


# --- agreement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModeratorAgreement:
    moderator_id: int
    username: str
    sampled: int
    reviewed: int
    agreed: int

    @property
    def disagreed(self) -> int:
        return self.reviewed - self.agreed

    @property
    def rate(self) -> float | None:
        """The share of reviewed samples the supervisors agreed with (None: none reviewed)."""
        return self.agreed / self.reviewed if self.reviewed else None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def agreement_rates(
    actor: User,
    date_from: date,
    date_to: date,
    partner: Partner | int | None = None,
) -> list[ModeratorAgreement]:
    """Per moderator, of their decisions made from `date_from` to `date_to` (local days,
    both included) that were sampled: how many, how many were reviewed, and how many the
    reviewer agreed with. Limited to the samples the actor may see, and to one partner's
    subjects when given. One query, whatever the volume; ordered by username."""
    samples = QualitySample.objects.visible_to(actor).filter(
        decision__decided_at__gte=_day_start(date_from),
        decision__decided_at__lt=_day_start(date_to + timedelta(days=1)),
        decision__decided_by__isnull=False,
    )
    if partner is not None:
        partner_id = partner.pk if isinstance(partner, Partner) else partner
        samples = samples.filter(decision__subject__partner_id=partner_id)
    rows = (
        samples.values("decision__decided_by", "decision__decided_by__username")
        .annotate(
            sampled=Count("pk"),
            reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
            agreed=Count("pk", filter=Q(verdict=QualitySample.Verdict.AGREE)),
        )
        .order_by("decision__decided_by__username")
    )
    return [
        ModeratorAgreement(
            moderator_id=row["decision__decided_by"],
            username=row["decision__decided_by__username"],
            sampled=row["sampled"],
            reviewed=row["reviewed"],
            agreed=row["agreed"],
        )
        for row in rows
    ]
