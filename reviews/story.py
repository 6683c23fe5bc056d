"""A subject's whole story: every report, signal, case, decision, proposal, appeal, list
entry on its identifiers and event delivered about it — and about its account (for a
listing) or its listings (for an account) — in one timeline, oldest first.

Read in a fixed number of queries whatever the history's size, each kind limited to what the
reader may see (`visible_to`) and to its newest `ITEMS_PER_KIND` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from antifraud import access
from antifraud.models import Delivery, Indicator, Signal, Subject, SubjectIdentifier
from reviews.models import (
    Appeal,
    BlockLift,
    Case,
    Decision,
    DecisionProposal,
    Report,
    SubjectNote,
)
from reviews.selectors import open_case_of, with_open_case

ITEMS_PER_KIND = 300

# Within the same instant, the order things happen in: a report raises a signal, which opens
# a case, which is decided (or proposed), which is delivered and may list values; appeals
# come after.
KIND_ORDER = {
    kind: place
    for place, kind in enumerate(
        [
            "report",
            "signal",
            "case",
            "note",
            "proposal",
            "decision",
            "list_entry",
            "lift",
            "delivery",
            "appeal",
        ]
    )
}


@dataclass(frozen=True)
class StoryItem:
    at: datetime
    kind: str
    # The subject the item is about: the story's own, its account or one of its listings.
    about: Subject
    obj: Any
    url: str = ""
    # Deliveries of one event to several partners are one item.
    group: list[Any] = field(default_factory=list)
    # A list entry's state now (Indicator.State).
    state: str = ""

    @property
    def state_label(self) -> str:
        return str(Indicator.State(self.state).label) if self.state else ""

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, KIND_ORDER[self.kind], int(self.obj.pk))


@dataclass
class SubjectStory:
    subject: Subject
    account: Subject | None  # the account of a listing, told along
    listings: list[Subject]  # the listings of an account, told along
    items: list[StoryItem]
    # Kinds whose newest ITEMS_PER_KIND rows only are shown.
    truncated: list[str]
    show_deciders: bool


def _capped(rows: list[Any], kind: str, truncated: list[str]) -> list[Any]:
    if len(rows) > ITEMS_PER_KIND:
        truncated.append(kind)
        return rows[:ITEMS_PER_KIND]
    return rows


def subject_story(*, user: User, subject_id: int) -> SubjectStory:
    """The story of a subject the user may see (404 otherwise)."""
    subject = access.visible_or_404(
        user,
        with_open_case(
            Subject.objects.select_related("partner", "account__partner"), user
        ).annotate(account_open_case_id=open_case_of(user, "account_id")),
        subject_id,
    )
    account = subject.account if subject.kind == Subject.Kind.LISTING else None
    if account is not None:
        # Where a link to the account goes (reviews.templatetags.links_tags).
        account.open_case_id = subject.account_open_case_id  # type: ignore[attr-defined]
    listings = (
        list(
            with_open_case(Subject.objects.visible_to(user), user)
            .filter(account=subject)
            .select_related("partner")
            .order_by("-first_seen_at", "-pk")[: ITEMS_PER_KIND + 1]
        )
        if subject.kind == Subject.Kind.ACCOUNT
        else []
    )
    truncated: list[str] = []
    listings = _capped(listings, "listing", truncated)
    subjects = {s.pk: s for s in [subject, *([account] if account else []), *listings]}
    ids = list(subjects)
    accounts = [s.pk for s in subjects.values() if s.kind == Subject.Kind.ACCOUNT]
    limit = ITEMS_PER_KIND + 1

    def fetch(queryset: Any, order: str, kind: str) -> list[Any]:
        return _capped(list(queryset.order_by(f"-{order}", "-pk")[:limit]), kind, truncated)

    reports = fetch(
        Report.objects.visible_to(user).filter(subject_id__in=ids).select_related("partner"),
        "received_at",
        "report",
    )
    signals = fetch(
        Signal.objects.visible_to(user)
        .filter(subject_id__in=ids)
        .select_related("partner")
        .prefetch_related(Prefetch("cases", queryset=Case.objects.only("pk").order_by("pk"))),
        "created_at",
        "signal",
    )
    cases = fetch(Case.objects.visible_to(user).filter(subject_id__in=ids), "opened_at", "case")
    # A listing's account is blocked through a decision on one of its listings, and restored
    # by that decision's reversal: they are part of the account's story too.
    about_account = Q(subject__account_id__in=accounts) & (
        Q(action=Decision.Action.BLOCK_ACCOUNT)
        | Q(action=Decision.Action.REVERSE, reverses__action=Decision.Action.BLOCK_ACCOUNT)
    )
    decision_scope = Decision.objects.visible_to(user).filter(Q(subject_id__in=ids) | about_account)
    decisions = fetch(
        decision_scope.select_related("subject", "policy", "decided_by", "approved_by", "lift"),
        "decided_at",
        "decision",
    )
    proposals = fetch(
        DecisionProposal.objects.visible_to(user)
        .filter(case__subject_id__in=ids)
        .select_related("case", "policy", "proposed_by", "reviewed_by"),
        "proposed_at",
        "proposal",
    )
    appeals = fetch(
        Appeal.objects.visible_to(user)
        .filter(decision__in=decision_scope.values("pk"))
        .select_related("decision__subject", "reversal"),
        "filed_at",
        "appeal",
    )
    # Time-limited blocks that came to their end (reviews.services.block_ends).
    lifts = fetch(
        access.visible(
            user, BlockLift.objects.filter(decision__in=decision_scope.values("pk"))
        ).select_related("decision__subject"),
        "lifted_at",
        "lift",
    )
    may_open_appeals = access.may(user, "reviews.view_appeal")
    # Which of the story's subjects carries each (kind, value).
    carried = {
        (kind, value): holder
        for kind, value, holder in SubjectIdentifier.objects.filter(subject_id__in=ids).values_list(
            "kind", "value", "subject_id"
        )
    }
    entries = [
        entry
        for entry in fetch(
            Indicator.objects.visible_to(user).filter(
                value__in={value for _kind, value in carried}
            ),
            "listed_at",
            "list_entry",
        )
        if (entry.kind, entry.value) in carried
    ]
    deliveries = fetch(
        Delivery.objects.visible_to(user).filter(subject_id__in=ids).select_related("partner"),
        "created_at",
        "delivery",
    )
    # Staff notes (reviews.services.notes): this page is for staff only.
    notes = fetch(
        SubjectNote.objects.visible_to(user).filter(subject_id__in=ids).select_related("author"),
        "created_at",
        "note",
    )

    now = timezone.now()

    def about(subject_id: int | None) -> Subject:
        return subjects.get(subject_id or 0, subject)

    def decided_about(decision: Decision) -> Subject:
        """A block decided on another listing of the account is about the account."""
        told = subjects.get(decision.subject_id)
        return told or subjects.get(decision.subject.account_id or 0, subject)

    def case_url(case_id: int | None) -> str:
        return reverse("case", args=[case_id]) if case_id else ""

    items = [
        *(
            StoryItem(r.received_at, "report", about(r.subject_id), r, case_url(r.case_id))
            for r in reports
        ),
        *(
            StoryItem(
                s.created_at,
                "signal",
                about(s.subject_id),
                s,
                case_url(next((c.pk for c in s.cases.all()), None)),
            )
            for s in signals
        ),
        *(StoryItem(c.opened_at, "case", about(c.subject_id), c, case_url(c.pk)) for c in cases),
        *(
            StoryItem(n.created_at, "note", about(n.subject_id), n, case_url(n.case_id))
            for n in notes
        ),
        *(
            StoryItem(d.decided_at, "decision", decided_about(d), d, case_url(d.case_id))
            for d in decisions
        ),
        *(
            StoryItem(p.proposed_at, "proposal", about(p.case.subject_id), p, case_url(p.case_id))
            for p in proposals
        ),
        *(
            StoryItem(
                a.filed_at,
                "appeal",
                decided_about(a.decision),
                a,
                reverse("appeal-review", args=[a.pk]) if may_open_appeals else "",
            )
            for a in appeals
        ),
        *(
            StoryItem(
                lift.lifted_at,
                "lift",
                decided_about(lift.decision),
                lift,
                case_url(lift.decision.case_id),
            )
            for lift in lifts
        ),
        *(
            StoryItem(
                e.listed_at,
                "list_entry",
                about(carried[(e.kind, e.value)]),
                e,
                reverse("list-entry", args=[e.pk]),
                state=e.state(now),
            )
            for e in entries
        ),
        *_delivery_items(deliveries, about),
    ]
    items.sort(key=lambda item: item.sort_key)
    return SubjectStory(
        subject=subject,
        account=account,
        listings=listings,
        items=items,
        truncated=truncated,
        show_deciders=access.may_see_deciders(user),
    )


def _delivery_items(deliveries: list[Delivery], about: Any) -> list[StoryItem]:
    """One item per event: the rows one event wrote, one per partner, share their type,
    subject and time (antifraud.services.outbox.outbox_write)."""
    items = []

    def event(d: Delivery) -> tuple[datetime, str, int | None]:
        return (d.created_at, d.event_type, d.subject_id)

    for _event, rows in groupby(sorted(deliveries, key=lambda d: (*event(d), d.pk)), key=event):
        group = list(rows)
        first = group[0]
        items.append(
            StoryItem(
                first.created_at,
                "delivery",
                about(first.subject_id),
                first,
                reverse("deliveries"),
                group=group,
            )
        )
    return items
