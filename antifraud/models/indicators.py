"""The black, gray and cleared lists of indicators shared by every partner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner
from antifraud.access import VisibleQuerySet
from antifraud.models.subjects import INDICATOR_KINDS, IndicatorKind, Scheme

# How long a gray-list entry may be set to last, in days: decisions, the decision form and
# partners' proposals alike.
GRAY_DAYS_MIN = 1
GRAY_DAYS_MAX = 365


class IndicatorQuerySet(VisibleQuerySet["Indicator"]):
    def active(self, now=None) -> IndicatorQuerySet:
        """Entries in force: not revoked and not past their expiry."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Indicator(models.Model):
    """A normalised value on a list. At most one entry per value is in force at a time."""

    class List(models.TextChoices):
        BLACK = "black", _("Black list")
        GRAY = "gray", _("Gray list")
        CLEARED = "cleared", _("Cleared (vetted as honest)")

    class Origin(models.TextChoices):
        DECISION = "decision", _("Moderator's decision")
        PARTNER_PROPOSAL = "partner_proposal", _("Partner's proposal")
        DETECTION = "detection", _("Detection")

    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices)
    value = models.CharField(_("value"), max_length=255)
    display = models.CharField(_("shown as"), max_length=100, blank=True)
    list = models.CharField(_("list"), max_length=10, choices=List.choices)
    scheme = models.CharField(_("scheme"), max_length=32, choices=Scheme.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    # "decision:<id>", "report:<id>": where the entry came from, for the trail.
    origin_ref = models.CharField(_("origin reference"), max_length=100, blank=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="indicators"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    listed_at = models.DateTimeField(_("listed"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)
    corroborations = models.PositiveIntegerField(_("corroborations"), default=0)
    disputes = models.PositiveIntegerField(_("disputes"), default=0)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                condition=Q(revoked_at__isnull=True),
                name="indicator_one_in_force_per_value",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=INDICATOR_KINDS), name="indicator_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(list__in=["black", "gray", "cleared"]), name="indicator_list_valid"
            ),
            # Only a moderator's decision puts anything on the black list.
            models.CheckConstraint(
                condition=~Q(list="black") | Q(origin="decision"),
                name="indicator_black_only_by_decision",
            ),
            models.CheckConstraint(
                condition=~Q(list="gray") | Q(expires_at__isnull=False),
                name="indicator_gray_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "value"], name="indicator_kind_value"),
            models.Index(
                fields=["expires_at"],
                condition=Q(revoked_at__isnull=True, list="gray"),
                name="indicator_gray_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list}:{self.kind}:{self.display or self.value}"


class MarketPrice(models.Model):
    """The usual asking price of a category in a city, against which prices are judged."""

    category = models.CharField(_("category"), max_length=32)
    city = models.CharField(_("city"), max_length=100)
    # "" for the whole category; else what narrows it, e.g. "make=toyota;model=camry" or
    # "rooms=2" (antifraud.detection.prices.segments_of).
    segment = models.CharField(_("segment"), max_length=200, blank=True, default="")
    median_price = models.PositiveBigIntegerField(_("median price"))
    sample_size = models.PositiveIntegerField(_("listings counted"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("market price")
        verbose_name_plural = _("market prices")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "city", "segment"], name="market_price_unique_segment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} in {self.city}: {self.median_price}"
