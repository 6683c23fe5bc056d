"""A partner walking through the phone numbers with look-ups, to learn which are listed.

The lists answer whether a number is listed, and the answer is worth something to a
fraudster: a number that is not listed can be used, and the listed ones map out who is
being watched. A partner's system (or a stolen key) that asks about every number of a range
in turn draws that map. Honest traffic does not look like this: a bank or a platform asks
about the numbers its own customers bring, which are scattered over the whole numbering
plan, and most of them miss.

The model: the numbering plan is cut into blocks of settings.LOOKUP_WALK_BLOCK consecutive
numbers (the E.164 digits as an integer, divided by the block size: +7 701 000 0000 to
+7 701 000 0999 is one block of 1,000). For each partner and local day, the misses of
phone numbers in each block are counted in the shared cache (Redis in production, so every
web process adds to one count; the counts expire after two days). Scattered honest numbers
leave one or two misses in a block; a walk leaves hundreds. When one block reaches
settings.LOOKUP_WALK_MISSES misses in a day, the partner is slowed: its look-ups are
throttled to settings.LOOKUP_SLOWED_RATE (antifraud.api.throttling.SlowedPartnerThrottle)
for settings.LOOKUP_SLOWED_HOURS, a LookupAlert shows the hub what was seen, and the audit
trail records it — once per slowed period, however long the walk goes on.

Only misses count: hits are rare and already tallied per entry (antifraud.services.registry
.hits_record); invalid values tell nothing about the lists. Nothing here refuses a look-up
or blocks anyone; a walk is slowed down so that it takes months rather than minutes, and a
person looks at it. When the cache cannot be reached the walk goes uncounted for that
moment rather than failing the look-up.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.db import transaction
from django.utils import timezone

from accounts.models import Partner
from antifraud.audit import audit_record
from antifraud.models import LookupAlert

logger = logging.getLogger(__name__)

# A day's counts are kept a little longer than the day, whatever the time zone.
COUNT_TTL = 2 * 86400
REASON = "look-ups walked through consecutive phone numbers"


def phone_block(value: str) -> int:
    """The block of consecutive numbers a phone in E.164 form (`+77010000000`) falls in."""
    return int(value.lstrip("+")) // settings.LOOKUP_WALK_BLOCK


def _count_key(partner_id: int, day: date, block: int) -> str:
    return f"lookup-walk:{partner_id}:{day:%Y%m%d}:{block}"


def _count_add(key: str, n: int) -> int:
    cache = caches[DEFAULT_CACHE_ALIAS]
    # add() is a no-op when the count exists; it sets the expiry of a new one.
    cache.add(key, 0, timeout=COUNT_TTL)
    try:
        total = int(cache.incr(key, n))
    except ValueError:  # expired between add() and incr()
        cache.add(key, n, timeout=COUNT_TTL)
        return n
    if type(cache).incr is BaseCache.incr:
        # The generic incr (Django's file cache) stores the value again with the default
        # expiry of a few minutes; Redis and the local-memory cache keep the expiry.
        cache.touch(key, COUNT_TTL)
    return total


def phone_misses_record(
    *, partner: Partner, phones: Iterable[str], now: datetime | None = None
) -> LookupAlert | None:
    """Count the partner's look-ups of these phone numbers (E.164) that missed, per block;
    slow the partner when a block reaches settings.LOOKUP_WALK_MISSES misses today.
    Returns the alert raised now, if any."""
    blocks = Counter(phone_block(value) for value in phones)
    if not blocks:
        return None
    now = now or timezone.now()
    day = timezone.localdate(now)
    worst: tuple[int, int] | None = None
    for block, n in sorted(blocks.items()):
        try:
            total = _count_add(_count_key(partner.pk, day, block), n)
        except Exception:
            logger.warning(
                "look-up walk of partner %s not counted: the cache is unreachable", partner.pk
            )
            return None
        if total >= settings.LOOKUP_WALK_MISSES and (worst is None or total > worst[1]):
            worst = (block, total)
    if worst is None:
        return None
    if partner.lookup_slowed_until is not None and partner.lookup_slowed_until > now:
        return None  # already slowed: the walk goes on at the slowed rate
    block, misses = worst
    return partner_lookups_slow(
        partner_id=partner.pk,
        reason=REASON,
        details={
            "block": block,
            "first": f"+{block * settings.LOOKUP_WALK_BLOCK}",
            "last": f"+{(block + 1) * settings.LOOKUP_WALK_BLOCK - 1}",
            "misses": misses,
            "threshold": settings.LOOKUP_WALK_MISSES,
            "day": f"{day:%Y-%m-%d}",
            "blocks_in_lookup": len(blocks),
        },
        now=now,
    )


@transaction.atomic
def partner_lookups_slow(
    *, partner_id: int, reason: str, details: dict, now: datetime
) -> LookupAlert | None:
    """Slow a partner's look-ups for settings.LOOKUP_SLOWED_HOURS and alert the hub, unless
    it is slowed already (then nothing: one alert per slowed period)."""
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    before = partner.lookup_slowed_until
    if before is not None and before > now:
        return None
    until = now + timedelta(hours=settings.LOOKUP_SLOWED_HOURS)
    partner.lookup_slowed_until = until
    partner.save(update_fields=["lookup_slowed_until"])
    alert = LookupAlert.objects.create(
        partner=partner, created_at=now, reason=reason, details=details, slowed_until=until
    )
    audit_record(
        actor=None,
        partner=partner,
        action="lookup.enumeration_suspected",
        target=alert,
        payload={
            "reason": reason,
            **details,
            "lookup_slowed_until": {
                "old": before.isoformat() if before else None,
                "new": until.isoformat(),
            },
            "rate": settings.LOOKUP_SLOWED_RATE,
        },
    )
    return alert
