"""Reads shared by the pages and the API, limited to what the actor may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import User
from antifraud import access
from antifraud.detection.prices import market_prices, reference_for
from antifraud.models import (
    Indicator,
    IndicatorKind,
    Photo,
    PhotoHash,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.photos import pdq_distance
from antifraud.selectors import LinkedSubject, ring_of, subjects_linked_to
from antifraud.services.markets import MIN_SAMPLE
from reviews.models import (
    Appeal,
    Case,
    CaseDeferral,
    CaseQuerySet,
    Decision,
    DecisionProposal,
    Policy,
    SubjectNote,
)
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
    # Staff-only notes on the subject and its account, and the photo pairs of each
    # reused-photo signal (by signal id): read for a user only (`case_detail(user=…)`).
    notes: SubjectNotes | None = None
    photo_pairs: dict[int, list[PhotoPair]] = field(default_factory=dict)
    # The subject's and its account's earlier enforcements (`subject_strikes`): read for a
    # user only, like the notes.
    strikes: Strikes | None = None
    # Who decided is shown to supervisors only (access.may_see_deciders): an appeal reviewer
    # judges the decision, not the colleague.
    show_deciders: bool = False

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


def case_detail(case: Case, *, linked_limit: int = 50, user: User | None = None) -> CaseDetail:
    """Everything a moderator needs to decide without leaving the page, in a fixed number of
    queries however many signals, photos or linked subjects there are. Given the user who
    reads it, also the notes and photo pairs they may see (never in an evidence snapshot)."""
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
        .select_related("policy", "decided_by", "approved_by", "lift")
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
        notes=subject_notes(user=user, subject=subject, owner=owner) if user else None,
        photo_pairs=photo_pairs(user=user, signals=signals) if user else {},
        strikes=subject_strikes(user=user, subject=subject, owner=owner, case=case)
        if user
        else None,
        show_deciders=access.may_see_deciders(user),
    )


# --- notes and photo pairs ---------------------------------------------------------------

NOTES_SHOWN = 50
# The pairs shown per reused-photo signal: its nearest matches (the details keep 20).
PAIRS_PER_SIGNAL = 3


@dataclass(frozen=True)
class SubjectNotes:
    notes: list[SubjectNote]
    # Older notes than those shown exist.
    more: bool
    # The subject a note written here is about, and its account (a listing's notes may be
    # written on the account, which all its listings show).
    subject: Subject
    account: Subject | None


def subject_notes(*, user: User, subject: Subject, owner: Subject | None) -> SubjectNotes:
    """The notes on a subject and, for a listing, on its account, newest first (one
    query)."""
    account = owner if owner is not None and owner.pk != subject.pk else None
    ids = [subject.pk] + ([account.pk] if account else [])
    notes = list(
        SubjectNote.objects.visible_to(user)
        .filter(subject_id__in=ids)
        .select_related("author", "case")
        .order_by("-created_at", "-pk")[: NOTES_SHOWN + 1]
    )
    return SubjectNotes(
        notes=notes[:NOTES_SHOWN], more=len(notes) > NOTES_SHOWN, subject=subject, account=account
    )


def open_case_of(user: User, subject_ref: str = "pk") -> Subquery:
    """The undecided case of the subject at `subject_ref` (a path from the rows annotated),
    when the user may see it: where a link to the subject goes
    (reviews.templatetags.links_tags)."""
    return Subquery(
        Case.objects.visible_to(user)
        .filter(subject_id=OuterRef(subject_ref))
        .exclude(status=Case.Status.DECIDED)
        .order_by("-opened_at", "-pk")
        .values("pk")[:1]
    )


def with_open_case(subjects: QuerySet[Subject], user: User) -> QuerySet[Subject]:
    """Each subject with `open_case_id` (`open_case_of`)."""
    return subjects.annotate(open_case_id=open_case_of(user))


@dataclass(frozen=True)
class PhotoPair:
    """This subject's photo beside the nearest photo of another subject (or a black-listed
    photo hash), as the reused-photo rule found them."""

    number: int  # the photo's number on the subject, from 1, as the signal says
    own: Photo | None
    distance: int
    # The other subject, when the user may see it; its nearest photo, when it has one the
    # user may see.
    other_subject: Subject | None = None
    other: Photo | None = None
    # Another partner's photo the user may not see: said, not shown.
    hidden: bool = False
    # The black-list variant: a near copy of a listed photo hash, and its entry when the
    # user may see it.
    blacklisted: bool = False
    indicator: Indicator | None = None


def _numbered_photos(subject_ids: set[int]) -> dict[int, list[Photo]]:
    """Each subject's hashed photos in the order detection numbered them (from 1)."""
    found: dict[int, list[Photo]] = {}
    for photo in (
        Photo.objects.filter(subject_id__in=subject_ids)
        .exclude(pdq_hash="")
        .order_by("subject_id", "position", "pk")
    ):
        found.setdefault(photo.subject_id, []).append(photo)
    return found


def _nearest_photo(own: str, theirs: list[Photo], variants: dict[str, set[str]]) -> Photo | None:
    """The other subject's photo closest to `own`, counting each one's mirrored and turned
    variants as the index does."""

    def distance(photo: Photo) -> int:
        return min(
            pdq_distance(a, b)
            for a in variants.get(own, set()) | {own}
            for b in variants.get(photo.pdq_hash, set()) | {photo.pdq_hash}
        )

    return min(theirs, key=lambda p: (distance(p), p.position, p.pk), default=None)


def photo_pairs(*, user: User, signals: list[Signal]) -> dict[int, list[PhotoPair]]:
    """The pairs of each reused-photo signal among `signals`, by signal id, in at most five
    queries however many signals and matches there are (none without such a signal)."""
    reused = [s for s in signals if s.rule == "photo.reused" and isinstance(s.details, dict)]
    wanted: dict[int, list[dict]] = {}
    for signal in reused:
        subjects = [m for m in signal.details.get("subjects") or [] if isinstance(m, dict)]
        indicators = [m for m in signal.details.get("indicators") or [] if isinstance(m, dict)]
        # The black-list variant shows the listed photo first, as the signal says it.
        wanted[signal.pk] = (indicators + subjects)[:PAIRS_PER_SIGNAL]
    if not any(wanted.values()):
        return {}
    other_ids = {int(m["subject"]) for ms in wanted.values() for m in ms if "subject" in m}
    indicator_ids = {int(m["indicator"]) for ms in wanted.values() for m in ms if "indicator" in m}
    photos = _numbered_photos({s.subject_id for s in reused} | other_ids)
    others = {
        s.pk: s
        for s in with_open_case(
            Subject.objects.filter(pk__in=other_ids).select_related("partner"), user
        )
    }
    for subject_id, theirs in photos.items():
        for photo in theirs:
            if subject_id in others:
                photo.subject = others[subject_id]
    hashes = {p.pdq_hash for theirs in photos.values() for p in theirs}
    variants: dict[str, set[str]] = {}
    for of_value, value in PhotoHash.objects.filter(of_value__in=hashes).values_list(
        "of_value", "value"
    ):
        variants.setdefault(of_value, set()).add(value)
    listed = Indicator.objects.visible_to(user).in_bulk(indicator_ids) if indicator_ids else {}

    pairs: dict[int, list[PhotoPair]] = {}
    for signal in reused:
        own_photos = photos.get(signal.subject_id, [])
        rows = []
        for match in wanted[signal.pk]:
            number, distance = int(match.get("photo", 0)), int(match.get("distance", 0))
            own = own_photos[number - 1] if 0 < number <= len(own_photos) else None
            if "indicator" in match:
                indicator = listed.get(int(match["indicator"]))
                rows.append(PhotoPair(number, own, distance, blacklisted=True, indicator=indicator))
                continue
            other_subject = others.get(int(match["subject"]))
            seen = other_subject is not None and access.in_scope(user, other_subject)
            theirs = [p for p in photos.get(int(match["subject"]), []) if access.in_scope(user, p)]
            nearest = _nearest_photo(own.pdq_hash, theirs, variants) if own and theirs else None
            rows.append(
                PhotoPair(
                    number,
                    own,
                    distance,
                    other_subject=other_subject if seen else None,
                    other=nearest,
                    hidden=not seen,
                )
            )
        pairs[signal.pk] = rows
    return pairs


# --- strikes ----------------------------------------------------------------------------

# The actions that enforce something on a subject: each one not reversed is a strike.
STRIKE_ACTIONS = (
    Decision.Action.BLOCK_ACCOUNT,
    Decision.Action.REMOVE_LISTING,
    Decision.Action.WARN,
)
STRIKES_SHOWN = 20


@dataclass(frozen=True)
class Strike:
    decision: Decision
    # The policy's title in the reader's language.
    policy_title: str


@dataclass(frozen=True)
class Strikes:
    count: int
    # The newest STRIKES_SHOWN, newest first.
    items: list[Strike]


def subject_strikes(
    *, user: User, subject: Subject, owner: Subject | None, case: Case | None = None
) -> Strikes:
    """The enforcements that stand against a subject: its own earlier decisions that
    blocked, removed or warned and were not reversed on appeal — and for a listing, its
    account's and the account's other listings' too (the same person posted them). The
    decisions of `case` itself are not earlier ones. Two queries (one when there is none)."""
    account = owner or (subject if subject.kind == Subject.Kind.ACCOUNT else None)
    scope = Q(subject=subject)
    if account is not None:
        scope |= Q(subject=account) | Q(subject__account=account)
    decisions = Decision.objects.visible_to(user).filter(
        scope, action__in=STRIKE_ACTIONS, reversed_by__isnull=True
    )
    if case is not None:
        decisions = decisions.exclude(case=case)
    count = decisions.count()
    if not count:
        return Strikes(count=0, items=[])
    language = get_language() or "en"
    shown = decisions.select_related("policy", "lift").order_by("-decided_at", "-pk")
    return Strikes(
        count=count,
        items=[
            Strike(decision=d, policy_title=d.policy.localized("title", language))
            for d in shown[:STRIKES_SHOWN]
        ],
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


# --- cases put aside (skip, snooze) -----------------------------------------------------


def snoozes_in_force(*, now: datetime) -> QuerySet[CaseDeferral]:
    """Snoozes that still hide their case from the moderator who snoozed it: their time has
    not come, and no signal has joined the case since (new evidence wakes a case up)."""
    newer = Signal.objects.filter(cases=OuterRef("case_id"), created_at__gt=OuterRef("created_at"))
    return CaseDeferral.objects.filter(kind=CaseDeferral.Kind.SNOOZE, until__gt=now).exclude(
        Exists(newer)
    )


def skipped_case_ids(*, user: User, now: datetime) -> list[int]:
    """The cases the user skipped lately, the earliest skipped first."""
    latest = (
        CaseDeferral.objects.filter(user=user, kind=CaseDeferral.Kind.SKIP, until__gt=now)
        .values("case_id")
        .annotate(last=Max("created_at"))
        .order_by("last", "case_id")
    )
    return [row["case_id"] for row in latest]


def with_snooze_of(cases: CaseQuerySet, *, user: User, now: datetime) -> CaseQuerySet:
    """The cases, each with `snoozed_until`: when the user's snooze of it ends (None if the
    user has none in force). One subquery, whatever the number of cases."""
    until = (
        snoozes_in_force(now=now)
        .filter(user=user, case_id=OuterRef("pk"))
        .order_by("-until")
        .values("until")[:1]
    )
    return cases.annotate(snoozed_until=Subquery(until))


def case_snoozes(*, case: Case, now: datetime) -> list[CaseDeferral]:
    """The snoozes on a case, by anyone, until their time: the case page says who put it
    aside and why. Each has `woken`: a signal joined the case since, so it is back in the
    snoozer's claims before its time."""
    newer = Signal.objects.filter(cases=OuterRef("case_id"), created_at__gt=OuterRef("created_at"))
    return list(
        CaseDeferral.objects.filter(case=case, kind=CaseDeferral.Kind.SNOOZE, until__gt=now)
        .annotate(woken=Exists(newer))
        .select_related("user")
        .order_by("until")
    )


def open_cases_of(*, user: User, subject_ids: Iterable[int]) -> dict[int, int]:
    """The case under review of each subject, among those the user may see: subject id to
    case id (a subject has one case under review at most)."""
    return dict(
        Case.objects.visible_to(user)
        .filter(subject_id__in=list(subject_ids))
        .exclude(status=Case.Status.DECIDED)
        .values_list("subject_id", "pk")
    )
