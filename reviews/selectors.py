"""Reads shared by the pages and the API, limited to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from accounts.models import User
from antifraud.models import Scheme, Subject
from reviews.models import Case


@dataclass(frozen=True)
class QueueCounts:
    by_partner: list[dict]
    by_scheme: list[dict]
    escalated: int


def queue_counts(*, user: User) -> QueueCounts:
    """Open cases per partner and kind, per scheme, and the escalations, in three queries."""
    cases = Case.objects.for_partner(user.partner_id)
    kinds = dict(Subject.Kind.choices)
    by_partner = [
        {
            "partner_id": row["partner_id"],
            "partner_name": row["partner__name"],
            "kind": row["subject_kind"],
            "kind_label": kinds.get(row["subject_kind"], row["subject_kind"]),
            "count": row["count"],
        }
        for row in cases.filter(status=Case.Status.OPEN)
        .values("partner_id", "partner__name", "subject_kind")
        .annotate(count=Count("id"))
        .order_by("partner__name", "subject_kind")
    ]
    schemes = dict(Scheme.choices)
    by_scheme = [
        {"scheme": row["scheme"], "scheme_label": schemes.get(row["scheme"]), "count": row["count"]}
        for row in cases.filter(status=Case.Status.OPEN)
        .values("scheme")
        .annotate(count=Count("id"))
        .order_by("-count", "scheme")
    ]
    escalated = cases.filter(status=Case.Status.ESCALATED).count()
    return QueueCounts(by_partner=by_partner, by_scheme=by_scheme, escalated=escalated)
