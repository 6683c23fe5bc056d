"""What the management commands share: finding a partner by slug, showing a time."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Partner


def partner_by_slug(slug: str) -> Partner:
    """The partner, or a one-line error that lists the slugs there are."""
    partner = Partner.objects.filter(slug=slug).first()
    if partner is None:
        known = ", ".join(Partner.objects.order_by("slug").values_list("slug", flat=True))
        raise CommandError(f"no partner with slug {slug!r} (known: {known or 'none'})")
    return partner


def local_time(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"
