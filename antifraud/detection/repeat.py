"""Repeat registrations: a new account that shares a phone, e-mail, card, IBAN, device or
photo — exactly, or as a near-duplicate photo — with an account already blocked, on any
partner. The blocked account is named, so the moderator can compare the two."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.models import IndicatorKind, Scheme, Subject, SubjectIdentifier

TEMPLATE = gettext_noop(
    "A new account (first seen %(age)s days ago) shares %(shared)s with account %(blocked)s "
    "on %(partner)s, blocked %(since)s."
)


def _owner_age_days(subject: Subject, batch: Batch) -> float | None:
    owner = subject.account if subject.account_id else subject
    if owner is None:
        return None
    started = owner.registered_at or owner.first_seen_at
    return (batch.now - started) / timedelta(days=1) if started else None


def blocked_holders(batch: Batch) -> dict[tuple[str, str], list[Subject]]:
    """For each identifier of the batch, the blocked accounts that carry it — on the account
    itself or on one of its listings (one query, plus the photo index)."""
    pairs = {pair for group in batch.identifiers.values() for pair in group}
    photo_queries = {v for k, v in pairs if k == IndicatorKind.PHOTO}
    near: dict[str, list[str]] = {}
    if photo_queries:
        from antifraud.detection.photoindex import near as near_photos

        for query, matches in near_photos(photo_queries).items():
            near[query] = [of for of, _ in matches if of != query]
    wanted = pairs | {(IndicatorKind.PHOTO, of) for found in near.values() for of in found}
    if not wanted:
        return {}
    rows = (
        SubjectIdentifier.objects.filter(reduce(or_, (Q(kind=k, value=v) for k, v in wanted)))
        .filter(
            Q(subject__kind=Subject.Kind.ACCOUNT, subject__status=Subject.Status.BLOCKED)
            | Q(subject__account__status=Subject.Status.BLOCKED)
        )
        .select_related("subject__partner", "subject__account__partner")
    )
    holders: dict[tuple[str, str], list[Subject]] = defaultdict(list)
    for row in rows:
        account = row.subject if row.subject.kind == Subject.Kind.ACCOUNT else row.subject.account
        if account is not None and account not in holders[(row.kind, row.value)]:
            holders[(row.kind, row.value)].append(account)
    # A near-duplicate photo counts as the photo itself.
    for query, found in near.items():
        for of in found:
            for account in holders.get((IndicatorKind.PHOTO, of), []):
                if account not in holders[(IndicatorKind.PHOTO, query)]:
                    holders[(IndicatorKind.PHOTO, query)].append(account)
    return holders


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    holders = blocked_holders(batch)
    if not holders:
        return
    for subject in batch.subjects:
        age = _owner_age_days(subject, batch)
        if age is None or age > thresholds["new_days"]:
            continue
        own = subject.account_id or subject.pk
        shared: dict[int, tuple[Subject, set[str]]] = {}
        for kind, value in batch.identifiers.get(subject.pk, []):
            for account in holders.get((kind, value), []):
                if account.pk == own:
                    continue
                shared.setdefault(account.pk, (account, set()))[1].add(kind)
        if not shared:
            continue
        account, kinds = max(shared.values(), key=lambda item: len(item[1]))
        yield Hit(
            subject=subject,
            score=round(thresholds["score"] + 5 * (len(kinds) - 1)),
            scheme=Scheme.REPEAT_OFFENDER,
            explanation=Explanation(
                TEMPLATE,
                {
                    "age": max(0, round(age)),
                    "shared": sorted(kinds),
                    "blocked": account.external_id,
                    "partner": account.partner.name,
                    "since": f"{account.status_changed_at:%Y-%m-%d}"
                    if account.status_changed_at
                    else "?",
                },
            ),
            details={
                "blocked_accounts": sorted(shared),
                "blocked_account": account.pk,
                "shared": sorted(kinds),
            },
            key=",".join(str(pk) for pk in sorted(shared)),
        )


RULES = [
    Rule(
        code="repeat.registration",
        title=_("Repeat registration"),
        looks_at=_(
            "a new account's phones, e-mails, cards, IBANs, devices and photos (also "
            "near-duplicates) against accounts already blocked, on every partner"
        ),
        scheme=Scheme.REPEAT_OFFENDER,
        defaults={"new_days": 30, "score": 75},
        detect=detect,
    )
]
