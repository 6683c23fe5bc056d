"""Repeat registrations: a new account that shares a phone, e-mail, card, IBAN, device or
photo — exactly, or as a near-duplicate photo — with an account already blocked, on any
partner. The blocked account is named, so the moderator can compare the two.

A number reassigned to a new subscriber links the new account to a blocked one only when
both came after the reassignment, or both before (antifraud.detection.registry): the
number's earlier history is not held against its new owner, and the explanation says so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.detection.registry import reassigned, reassigned_notes, same_holder, seen_since
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


@dataclass(frozen=True)
class Holder:
    """A blocked account carrying a value, and when the hub first saw it (or the listing of
    it that carries the value, whichever came first)."""

    account: Subject
    seen: datetime


def blocked_holders(batch: Batch) -> dict[tuple[str, str], list[Holder]]:
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
    # Two IN lists, matched up below: one OR-ed condition per value is too deep for SQLite
    # in a large batch.
    rows = (
        SubjectIdentifier.objects.filter(
            kind__in={k for k, _ in wanted}, value__in={v for _, v in wanted}
        )
        .filter(
            Q(subject__kind=Subject.Kind.ACCOUNT, subject__status=Subject.Status.BLOCKED)
            | Q(subject__account__status=Subject.Status.BLOCKED)
        )
        .select_related("subject__partner", "subject__account__partner")
    )
    found: dict[tuple[str, str], dict[int, Holder]] = defaultdict(dict)
    for row in rows:
        pair = (row.kind, row.value)
        if pair not in wanted:
            continue
        account = row.subject if row.subject.kind == Subject.Kind.ACCOUNT else row.subject.account
        if account is None:
            continue
        seen = min(row.subject.first_seen_at, account.first_seen_at)
        known = found[pair].get(account.pk)
        if known is None or seen < known.seen:
            found[pair][account.pk] = Holder(account, seen)
    # A near-duplicate photo counts as the photo itself.
    for query, copies in near.items():
        for of in copies:
            for holder in list(found.get((IndicatorKind.PHOTO, of), {}).values()):
                found[(IndicatorKind.PHOTO, query)].setdefault(holder.account.pk, holder)
    return {pair: list(by_account.values()) for pair, by_account in found.items() if by_account}


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    holders = blocked_holders(batch)
    if not holders:
        return
    numbers = reassigned(batch) if any(k == IndicatorKind.PHONE for k, _ in holders) else {}
    for subject in batch.subjects:
        age = _owner_age_days(subject, batch)
        if age is None or age > thresholds["new_days"]:
            continue
        own = subject.account_id or subject.pk
        since = seen_since(subject)
        shared: dict[int, tuple[Subject, set[str]]] = {}
        # Numbers whose earlier subscriber's blocked account was left out.
        left_out: dict[str, date] = {}
        for kind, value in batch.identifiers.get(subject.pk, []):
            for holder in holders.get((kind, value), []):
                account = holder.account
                if account.pk == own:
                    continue
                day = numbers.get(value) if kind == IndicatorKind.PHONE else None
                if day is not None and not same_holder(since, holder.seen, day):
                    left_out[value] = day
                    continue
                shared.setdefault(account.pk, (account, set()))[1].add(kind)
        if not shared:
            continue
        account, kinds = max(shared.values(), key=lambda item: len(item[1]))
        explanation = Explanation(
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
        )
        yield Hit(
            subject=subject,
            score=round(thresholds["score"] + 5 * (len(kinds) - 1)),
            scheme=Scheme.REPEAT_OFFENDER,
            explanation=explanation.noted(*reassigned_notes(left_out)),
            details={
                "blocked_accounts": sorted(shared),
                "blocked_account": account.pk,
                "shared": sorted(kinds),
                **({"reassigned": sorted(left_out)} if left_out else {}),
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
        rests_on_contacts=True,
    )
]
