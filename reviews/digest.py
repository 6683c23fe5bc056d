"""What a supervisor's daily digest says: deadlines breached in the last day and due soon,
dead deliveries, quarantined list entries and the audit chain's last verification — all
within what the supervisor may see (a partner's supervisors: their partner; the hub's: every
partner). Read here; sent by reviews.services.digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from antifraud.models import AuditChainCheck, Delivery, Indicator
from reviews.deadlines import appeal_warning, case_warning, due_soon_q
from reviews.models import Appeal, Case

# The digest covers the day before it.
PERIOD = timedelta(days=1)
# Rows listed per section; the rest are counted.
ROWS_PER_SECTION = 20

OPEN_APPEAL = [Appeal.Status.SUBMITTED, Appeal.Status.IN_REVIEW]


@dataclass(frozen=True)
class Section:
    rows: list[Any]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Digest:
    recipient: User
    now: datetime
    since: datetime
    breached_cases: Section
    breached_appeals: Section
    due_cases: Section
    due_appeals: Section
    case_warning_hours: int
    appeal_warning_hours: int
    # [{"partner__name": …, "count": …}], per partner in scope
    dead_deliveries: list[dict[str, Any]]
    quarantined: Section
    # The newest finished verification of the audit chain, None when none was run.
    chain_check: AuditChainCheck | None

    @property
    def dead_total(self) -> int:
        return sum(row["count"] for row in self.dead_deliveries)

    @property
    def scope(self) -> str:
        partner = self.recipient.partner
        return partner.name if partner is not None else ""


def _section(queryset: QuerySet[Any]) -> Section:
    rows = list(queryset[: ROWS_PER_SECTION + 1])
    if len(rows) <= ROWS_PER_SECTION:
        return Section(rows=rows, total=len(rows))
    return Section(rows=rows[:ROWS_PER_SECTION], total=queryset.count())


def digest_for(*, user: User, now: datetime | None = None) -> Digest:
    """The digest for `user`, as of `now`: a bounded number of queries however much there
    is to tell."""
    now = now or timezone.now()
    since = now - PERIOD
    cases = Case.objects.visible_to(user).select_related("partner", "subject")
    appeals = Appeal.objects.visible_to(user).select_related("decision__subject__partner")
    # Breached in the period: the deadline passed in it with the work not done by then.
    breached_cases = cases.filter(deadline__gt=since, deadline__lte=now).filter(
        ~Q(status=Case.Status.DECIDED) | Q(decided_at__gt=F("deadline"))
    )
    breached_appeals = appeals.filter(deadline__gt=since, deadline__lte=now).filter(
        Q(status__in=OPEN_APPEAL)
        | Q(resolved_at__gt=F("deadline"))
        | Q(withdrawn_at__gt=F("deadline"))
    )
    due_cases = cases.exclude(status=Case.Status.DECIDED).filter(due_soon_q(now, case_warning()))
    due_appeals = appeals.filter(status__in=OPEN_APPEAL).filter(due_soon_q(now, appeal_warning()))
    dead = list(
        Delivery.objects.visible_to(user)
        .filter(status=Delivery.Status.DEAD)
        .values("partner__name")
        .annotate(count=Count("pk"))
        .order_by("partner__name")
    )
    quarantined = Indicator.objects.visible_to(user).in_state(Indicator.State.QUARANTINED, now)
    return Digest(
        recipient=user,
        now=now,
        since=since,
        breached_cases=_section(breached_cases.order_by("deadline", "pk")),
        breached_appeals=_section(breached_appeals.order_by("deadline", "pk")),
        due_cases=_section(due_cases.order_by("deadline", "pk")),
        due_appeals=_section(due_appeals.order_by("deadline", "pk")),
        case_warning_hours=int(case_warning().total_seconds() // 3600),
        appeal_warning_hours=int(appeal_warning().total_seconds() // 3600),
        dead_deliveries=dead,
        quarantined=_section(quarantined.order_by("-quarantined_at", "pk")),
        chain_check=AuditChainCheck.objects.visible_to(user)
        .filter(finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first(),
    )
