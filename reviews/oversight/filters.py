"""What the dashboard is asked about, and the rows it reads through the access policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Partner, User
from reviews.models import Appeal, Case, CaseQuerySet, Decision


@dataclass(frozen=True)
class Filters:
    """What the dashboard is asked about: the days [first_day, last_day] (local dates), one
    partner or all the user sees, and for a moderator's own line, their decisions only."""

    user: User
    first_day: date
    last_day: date
    partner: Partner | None = None
    decider: User | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]

    def within(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.since, f"{name}__lt": self.until})

    def cases(self) -> CaseQuerySet:
        rows = Case.objects.visible_to(self.user)
        return rows.filter(partner=self.partner) if self.partner else rows

    def decisions(self) -> QuerySet[Decision]:
        rows = (
            Decision.objects.visible_to(self.user)
            .filter(self.within("decided_at"))
            .exclude(action=Decision.Action.REVERSE)
        )
        if self.partner:
            rows = rows.filter(subject__partner=self.partner)
        if self.decider:
            rows = rows.filter(decided_by=self.decider)
        return rows

    def appeals(self) -> QuerySet[Appeal]:
        rows = Appeal.objects.visible_to(self.user)
        if self.partner:
            rows = rows.filter(decision__subject__partner=self.partner)
        if self.decider:
            rows = rows.filter(decision__decided_by=self.decider)
        return rows
