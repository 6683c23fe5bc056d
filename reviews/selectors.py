"""Reads shared by the pages and the API, limited to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Prefetch
from django.utils import timezone

from accounts.models import User
from antifraud.detection.prices import market_prices, reference_for
from antifraud.models import (
    IndicatorKind,
    Photo,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.selectors import LinkedSubject, ring_of, subjects_linked_to
from antifraud.services.markets import MIN_SAMPLE
from reviews.models import Appeal, Case, CaseQuerySet, Decision, DecisionProposal, Policy
from reviews.queues import Queue

# --- queues -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueCounts:
    by_partner: list[dict]
    by_scheme: list[dict]
    escalated: int
    awaiting_approval: int

    @property
    def total(self) -> int:
        return sum(row["count"] for row in self.by_partner)


def queue_counts(*, user: User) -> QueueCounts:
    """Waiting cases per partner and kind, per scheme, the escalations and the decisions
    awaiting a second approval: four grouped queries whatever the volume."""
    cases = Case.objects.visible_to(user)
    kinds = dict(Subject.Kind.choices)
    waiting = cases.filter(status=Case.Status.OPEN)
    by_partner = [
        {
            "queue": f"partner:{row['partner__slug']}:{row['subject_kind']}",
            "partner_name": row["partner__name"],
            "kind": row["subject_kind"],
            "kind_label": kinds.get(row["subject_kind"], row["subject_kind"]),
            "count": row["count"],
        }
        for row in waiting.values("partner__slug", "partner__name", "subject_kind")
        .annotate(count=Count("id"))
        .order_by("partner__name", "subject_kind")
    ]
    schemes = dict(Scheme.choices)
    by_scheme = [
        {
            "queue": f"scheme:{row['scheme']}",
            "scheme": row["scheme"],
            "scheme_label": schemes.get(row["scheme"], row["scheme"]),
            "count": row["count"],
        }
        for row in waiting.values("scheme").annotate(count=Count("id")).order_by("-count", "scheme")
    ]
    escalated = cases.filter(status=Case.Status.ESCALATED).count()
    awaiting = cases.filter(status=Case.Status.AWAITING_APPROVAL).count()
    return QueueCounts(
        by_partner=by_partner, by_scheme=by_scheme, escalated=escalated, awaiting_approval=awaiting
    )


def queue_cases(*, user: User, queue: Queue) -> CaseQuerySet:
    """The cases of a queue a moderator may see, in queue order, with what the list shows.
    Cases being worked stay listed (with who holds them) so nobody opens them twice."""
    statuses = [queue.waiting_status, Case.Status.CLAIMED]
    return (
        Case.objects.visible_to(user)
        .filter(queue.condition(), status__in=statuses)
        .select_related("subject", "partner", "claimed_by")
        .order_by("-priority", "opened_at", "pk")
    )


# --- the case page ----------------------------------------------------------------------


@dataclass
class CaseHistory:
    cases: list[Case]
    decisions: list[Decision]


@dataclass(frozen=True)
class PriceReference:
    """The median a listing's price is judged against: the very figure the price rule used
    when it raised a signal, else the narrowest current market price with enough
    comparables."""

    median_price: int
    sample_size: int
    segment: str = ""


def price_reference(subject: Subject, signals: list[Signal]) -> PriceReference | None:
    used = next(
        (s for s in signals if s.rule == "price.below_market" and s.subject_id == subject.pk),
        None,
    )
    details = used.details if used is not None else {}
    if isinstance(details.get("median"), int) and isinstance(details.get("sample"), int):
        return PriceReference(details["median"], details["sample"], details.get("segment", ""))
    if not (subject.kind == Subject.Kind.LISTING and subject.category and subject.city):
        return None
    prices = market_prices({(subject.category, subject.city)})
    market = reference_for(subject, prices, MIN_SAMPLE)
    return (
        PriceReference(market.median_price, market.sample_size, market.segment) if market else None
    )


@dataclass
class CaseDetail:
    case: Case
    subject: Subject
    owner: Subject | None
    identifiers: list[SubjectIdentifier]
    photos: list[Photo]
    signals: list[Signal]
    market: PriceReference | None
    other_listings: list[Subject]
    history: CaseHistory
    linked: list[LinkedSubject]
    proposal: DecisionProposal | None
    policies: list[Policy] = field(default_factory=list)
    ring_size: int = 1
    ring_partners: int = 1

    @property
    def price_ratio(self) -> float | None:
        if self.subject.price and self.market and self.market.median_price:
            return self.subject.price / self.market.median_price
        return None

    @property
    def account_age(self) -> timedelta | None:
        registered = self.owner.registered_at if self.owner else None
        return timezone.now() - registered if registered else None

    @property
    def automated_detection(self) -> bool:
        return any(s.is_automated for s in self.signals)

    @property
    def contacts(self) -> list[SubjectIdentifier]:
        return [i for i in self.identifiers if i.kind != IndicatorKind.PHOTO]


def case_detail(case: Case, *, linked_limit: int = 50) -> CaseDetail:
    """Everything a moderator needs to decide without leaving the page, in a fixed number of
    queries however many signals, photos or linked subjects there are."""
    subject = Subject.objects.select_related("partner", "account").get(pk=case.subject_id)
    owner = subject.owner
    own_ids = [subject.pk] + ([owner.pk] if owner and owner.pk != subject.pk else [])
    identifiers = list(
        SubjectIdentifier.objects.filter(subject_id__in=own_ids).order_by(
            "kind", "value", "subject_id"
        )
    )
    # The same value on the listing and on its account is shown once.
    seen: set[tuple[str, str]] = set()
    unique_identifiers = []
    for identifier in identifiers:
        if (identifier.kind, identifier.value) not in seen:
            seen.add((identifier.kind, identifier.value))
            unique_identifiers.append(identifier)
    other_listings = (
        list(
            Subject.objects.filter(account_id=owner.pk)
            .exclude(pk=subject.pk)
            .order_by("-first_seen_at")[:20]
        )
        if owner
        else []
    )
    history_cases = list(
        Case.objects.filter(subject_id__in=own_ids).exclude(pk=case.pk).order_by("-opened_at")[:20]
    )
    decisions = list(
        Decision.objects.filter(subject_id__in=own_ids)
        .select_related("policy", "decided_by", "approved_by")
        .prefetch_related(Prefetch("appeal", queryset=Appeal.objects.all()))
        .order_by("-decided_at")[:20]
    )
    signals = list(case.signals.select_related("partner").order_by("-score", "created_at"))
    ring = ring_of(subject)
    return CaseDetail(
        case=case,
        subject=subject,
        owner=owner,
        identifiers=unique_identifiers,
        photos=list(
            Photo.objects.filter(subject_id__in=own_ids).order_by("subject_id", "position")[:12]
        ),
        signals=signals,
        market=price_reference(subject, signals),
        other_listings=other_listings,
        history=CaseHistory(cases=history_cases, decisions=decisions),
        linked=subjects_linked_to(own_ids + [s.pk for s in other_listings], limit=linked_limit),
        proposal=DecisionProposal.objects.filter(case=case, status=DecisionProposal.Status.PENDING)
        .select_related("policy", "proposed_by")
        .first(),
        policies=list(Policy.objects.filter(is_current=True).order_by("code")),
        ring_size=ring[0],
        ring_partners=ring[1],
    )


def proposals_waiting(*, user: User) -> list[DecisionProposal]:
    return list(
        DecisionProposal.objects.visible_to(user)
        .filter(status=DecisionProposal.Status.PENDING)
        .select_related("case__subject__partner", "proposed_by", "policy")
        .order_by("proposed_at")[:200]
    )


# --- the lists ----------------------------------------------------------------------------


def decision_case_id(*, user: User, decision_id: int) -> int | None:
    """The case a decision was made on, when the user may see the decision: what a list
    entry's origin (`decision:<id>`) links to."""
    return (
        Decision.objects.visible_to(user)
        .filter(pk=decision_id)
        .values_list("case_id", flat=True)
        .first()
    )
