"""State changes of the fraud-intelligence core. Each runs in one transaction (joining the
caller's when there is one) and writes its audit event through antifraud.audit."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Partner, User
from antifraud.audit import audit_record
from antifraud.errors import DomainError
from antifraud.models import Delivery, Indicator, MarketPrice, Subject
from antifraud.outbox import event_payload, webhook_id_new

# --- the lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    indicator: Indicator
    created: bool  # False when an entry in force already covered the value


@transaction.atomic
def indicator_list(
    *,
    actor: User | None,
    kind: str,
    value: str,
    display: str,
    list: str,
    origin: str,
    origin_ref: str = "",
    scheme: str = "",
    reason: str = "",
    partner: Partner | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> Listing:
    """Put a normalised value on a list, respecting the one entry in force per value.

    A black entry outranks a gray one: listing black over gray replaces the gray entry;
    listing gray over black changes nothing. A decision may list black over a cleared
    entry (it revokes it); a partner's proposal may not.
    """
    now = now or timezone.now()
    if list == Indicator.List.BLACK and origin != Indicator.Origin.DECISION:
        raise DomainError(
            "only a moderator's decision puts a value on the black list",
            code="black_needs_decision",
        )
    if list == Indicator.List.GRAY and expires_at is None:
        expires_at = now + timedelta(days=settings.GRAY_LIST_DAYS)

    current = (
        Indicator.objects.select_for_update()
        .filter(kind=kind, value=value, revoked_at__isnull=True)
        .first()
    )
    if current is not None:
        expired = current.expires_at is not None and current.expires_at <= now
        if expired:
            _revoke(current, reason="expired", now=now)
        elif current.list == list == Indicator.List.BLACK or (
            current.list == Indicator.List.BLACK and list == Indicator.List.GRAY
        ):
            return Listing(current, created=False)
        elif current.list == list == Indicator.List.GRAY:
            current.expires_at = max(current.expires_at, expires_at)
            if partner is not None and partner.pk != current.partner_id:
                current.corroborations += 1
            current.save(update_fields=["expires_at", "corroborations"])
            return Listing(current, created=False)
        elif current.list == Indicator.List.CLEARED and origin != Indicator.Origin.DECISION:
            raise DomainError(
                "this value was vetted as honest; only a moderator can list it",
                code="value_cleared",
            )
        else:
            _revoke(current, reason=f"superseded by the {list} list", now=now)

    indicator = Indicator.objects.create(
        kind=kind,
        value=value,
        display=display,
        list=list,
        scheme=scheme,
        reason=reason,
        origin=origin,
        origin_ref=origin_ref,
        partner=partner,
        created_by=actor,
        listed_at=now,
        expires_at=expires_at if list == Indicator.List.GRAY else None,
    )
    audit_record(
        actor=actor,
        partner=partner if actor is None else None,
        action="indicator.listed",
        target=indicator,
        payload={"list": list, "kind": kind, "origin": origin_ref or origin},
    )
    return Listing(indicator, created=True)


def _revoke(indicator: Indicator, *, reason: str, now: datetime) -> None:
    indicator.revoked_at = now
    indicator.revoked_reason = reason[:200]
    indicator.save(update_fields=["revoked_at", "revoked_reason"])


@transaction.atomic
def indicators_revoke(
    *, actor: User | None, indicators: Iterable[Indicator], reason: str
) -> list[Indicator]:
    """Take entries out of force (an overturned decision, a supervisor's correction)."""
    now = timezone.now()
    revoked = []
    for indicator in Indicator.objects.select_for_update().filter(
        pk__in=[i.pk for i in indicators], revoked_at__isnull=True
    ):
        _revoke(indicator, reason=reason, now=now)
        revoked.append(indicator)
    if revoked:
        audit_record(
            actor=actor,
            action="indicator.revoked",
            payload={"indicators": [i.pk for i in revoked], "reason": reason},
        )
    return revoked


@transaction.atomic
def indicators_expire(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Take gray-list entries past their expiry out of force. Returns how many."""
    now = now or timezone.now()
    due = list(
        Indicator.objects.select_for_update(skip_locked=True)
        .filter(list=Indicator.List.GRAY, revoked_at__isnull=True, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:batch]
    )
    if not due:
        return 0
    Indicator.objects.filter(pk__in=due).update(revoked_at=now, revoked_reason="expired")
    audit_record(
        actor=None, action="indicator.expired", payload={"indicators": due, "count": len(due)}
    )
    return len(due)


# --- subjects ---------------------------------------------------------------------------


def subject_status_set(*, subject: Subject, status: str, now: datetime) -> None:
    """Caller holds the transaction; the audit event is the caller's (the decision's)."""
    subject.status = status
    subject.status_changed_at = now
    subject.updated_at = now
    subject.save(update_fields=["status", "status_changed_at", "updated_at"])


# --- the outbox -------------------------------------------------------------------------


def outbox_write(
    *,
    event_type: str,
    at: datetime,
    subject: Subject | None = None,
    decision: dict[str, Any] | None = None,
    indicators: list[Indicator] = (),
    extra: dict[str, Any] | None = None,
) -> list[Delivery]:
    """One outbox row per active partner, in the caller's transaction. After commit, rows
    for partners with a webhook URL are sent by Celery; every row is also in the partner's
    event feed."""
    partners = list(Partner.objects.filter(is_active=True).order_by("pk"))
    rows = [
        Delivery(
            partner=partner,
            event_type=event_type,
            webhook_id=webhook_id_new(),
            payload=event_payload(
                event_type=event_type,
                at=at,
                recipient_id=partner.pk,
                subject=subject,
                decision=decision,
                indicators=indicators,
                extra=extra,
            ),
            subject=subject,
            status=Delivery.Status.PENDING if partner.webhook_url else Delivery.Status.FEED,
            next_attempt_at=at if partner.webhook_url else None,
            created_at=at,
        )
        for partner in partners
    ]
    created = Delivery.objects.bulk_create(rows)
    _send_after_commit([d.pk for d in created if d.status == Delivery.Status.PENDING])
    return created


def _send_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return
    from antifraud.tasks import delivery_send

    for delivery_id in delivery_ids:
        delivery_send.delay_on_commit(delivery_id)


# --- market prices ----------------------------------------------------------------------

MIN_SAMPLE = 5


@transaction.atomic
def market_prices_refresh() -> int:
    """Recompute the median asking price per category and city from listings that are not
    removed. Returns how many (category, city) pairs have a price."""
    listed = (
        Subject.objects.filter(
            kind=Subject.Kind.LISTING,
            price__isnull=False,
            status__in=[Subject.Status.ACTIVE, Subject.Status.CLEARED],
        )
        .exclude(category="")
        .exclude(city="")
    )
    now = timezone.now()
    rows: list[MarketPrice] = []
    if connection.vendor == "postgresql":
        sql, params = listed.values("category", "city", "price").query.sql_with_params()
        with connection.cursor() as cursor:
            median_sql = (
                # The inner query is the ORM's; every value in it is a parameter.
                "SELECT category, city, percentile_cont(0.5) WITHIN GROUP (ORDER BY price), count(*) "  # noqa: S608
                f"FROM ({sql}) AS listed GROUP BY category, city HAVING count(*) >= %s"
            )
            cursor.execute(median_sql, [*params, MIN_SAMPLE])
            for category, city, median, count in cursor.fetchall():
                rows.append(
                    MarketPrice(
                        category=category,
                        city=city,
                        median_price=int(median),
                        sample_size=count,
                        computed_at=now,
                    )
                )
    else:
        ordered = listed.order_by("category", "city", "price").values_list(
            "category", "city", "price"
        )
        for (category, city), group in groupby(
            ordered.iterator(chunk_size=5000), key=lambda r: (r[0], r[1])
        ):
            prices = [r[2] for r in group]
            if len(prices) >= MIN_SAMPLE:
                rows.append(
                    MarketPrice(
                        category=category,
                        city=city,
                        median_price=int(statistics.median(prices)),
                        sample_size=len(prices),
                        computed_at=now,
                    )
                )
    MarketPrice.objects.all().delete()
    MarketPrice.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
