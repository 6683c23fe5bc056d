"""Look-ups as the registry counts them: the purposes a partner may name, its daily quota of
values, and its tallies per day, purpose and outcome (hit, miss, invalid value).

The tallies are both the quota's counter and the hub's statistics: a look-up the quota
refuses is not counted at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import Partner
from antifraud.errors import DomainError, NotAllowed
from antifraud.models import LookupTally


class QuotaExceeded(DomainError):
    """The look-up would pass the partner's quota of values for the day."""

    code = "quota_exceeded"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the quota renews (local midnight)


def lookup_purposes(partner: Partner) -> list[str]:
    """The purposes the partner's kind may name (settings.LOOKUP_PURPOSES)."""
    return list(settings.LOOKUP_PURPOSES.get(partner.kind, []))


def lookup_purpose_check(partner: Partner, purpose: str) -> None:
    """Refuse a purpose the partner's kind may not name (a classifieds platform does not
    investigate; the police do not take payments)."""
    allowed = lookup_purposes(partner)
    if purpose not in allowed:
        raise NotAllowed(
            f"a {partner.kind} partner may look values up for "
            f"{', '.join(allowed) or 'no purpose'}, not {purpose}",
            code="purpose_not_allowed",
        )


def lookup_quota(partner: Partner) -> int:
    """Values the partner may look up a day."""
    if partner.lookup_quota is not None:
        return partner.lookup_quota
    return int(settings.LOOKUP_DAILY_QUOTA)


def seconds_to_midnight(now: datetime) -> int:
    """Seconds until the next local midnight, when the quota renews (at least 1)."""
    local = timezone.localtime(now)
    midnight = timezone.make_aware(
        datetime.combine(local.date() + timedelta(days=1), time.min), local.tzinfo
    )
    return max(1, math.ceil((midnight - local).total_seconds()))


def _tally_add(partner_id: int, day: date, purpose: str, outcome: str, n: int) -> None:
    """Add n to a tally: an increment in the database, so concurrent look-ups never lose
    one; the row is created by whichever comes first."""
    rows = LookupTally.objects.filter(
        partner_id=partner_id, day=day, purpose=purpose, outcome=outcome
    )
    if rows.update(count=F("count") + n):
        return
    try:
        with transaction.atomic():
            LookupTally.objects.create(
                partner_id=partner_id, day=day, purpose=purpose, outcome=outcome, count=n
            )
    except IntegrityError:
        rows.update(count=F("count") + n)


@transaction.atomic
def lookup_count(
    *,
    partner: Partner,
    purpose: str,
    outcomes: Mapping[str, int],
    now: datetime | None = None,
) -> None:
    """Count a look-up's values (outcome → values) in the partner's tallies of the day,
    refusing with QuotaExceeded, and counting nothing, a look-up that would pass the
    partner's daily quota.

    The partner's row is locked (FOR NO KEY UPDATE, which leaves rows that point at the
    partner free to be written) while the day's total is read and raised, so that
    concurrent look-ups cannot together pass the quota. Not audited: the tallies are the
    record, and a trail event per look-up would drown the trail."""
    lookup_purpose_check(partner, purpose)
    now = now or timezone.now()
    day = timezone.localdate(now)
    n = sum(outcomes.values())
    if not n:
        return
    Partner.objects.select_for_update(no_key=True).filter(pk=partner.pk).order_by().values_list(
        "pk", flat=True
    ).first()
    used = (
        LookupTally.objects.filter(partner_id=partner.pk, day=day).aggregate(total=Sum("count"))[
            "total"
        ]
        or 0
    )
    quota = lookup_quota(partner)
    if used + n > quota:
        raise QuotaExceeded(
            f"this look-up of {n} values would pass your quota of {quota} values a day "
            f"({used} used today); it renews at midnight ({settings.TIME_ZONE})",
            retry_after=seconds_to_midnight(now),
        )
    for outcome, count in sorted(outcomes.items()):
        if count:
            _tally_add(partner.pk, day, purpose, outcome, count)
