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


def in_force_q(now=None) -> Q:
    """Entries in force: not revoked and not past their expiry."""
    now = now or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class IndicatorQuerySet(VisibleQuerySet["Indicator"]):
    def active(self, now=None) -> IndicatorQuerySet:
        """Entries in force: not revoked and not past their expiry."""
        return self.filter(in_force_q(now))

    def matching(self, now=None) -> IndicatorQuerySet:
        """Black and gray entries in force that answer look-ups and detection: not the
        cleared ones, and not those in quarantine."""
        return self.active(now).filter(
            list__in=[Indicator.List.BLACK, Indicator.List.GRAY], quarantined_at__isnull=True
        )

    def awaiting_promotion(self) -> IndicatorQuerySet:
        return self.active().filter(list=Indicator.List.GRAY, promotion_due_at__isnull=False)

    def in_state(self, state: str, now=None) -> IndicatorQuerySet:
        """Entries in one of the states the lists page filters by (Indicator.State)."""
        now = now or timezone.now()
        S = Indicator.State
        if state == S.IN_FORCE:
            return self.active(now).filter(quarantined_at__isnull=True)
        if state == S.AWAITING_PROMOTION:
            return self.active(now).filter(list=Indicator.List.GRAY, promotion_due_at__isnull=False)
        if state == S.DISPUTED:
            return self.active(now).filter(dispute_set__status=Dispute.Status.OPEN).distinct()
        if state == S.QUARANTINED:
            return self.active(now).filter(quarantined_at__isnull=False)
        if state == S.EXPIRED:
            return self.filter(
                Q(ended=Indicator.End.EXPIRED) | Q(revoked_at__isnull=True, expires_at__lte=now)
            )
        if state == S.ENDED:
            return self.filter(revoked_at__isnull=False).exclude(ended=Indicator.End.EXPIRED)
        return self.none()


class Indicator(models.Model):
    """A normalised value on a list. At most one entry per value is in force at a time."""

    class List(models.TextChoices):
        BLACK = "black", _("Black list")
        GRAY = "gray", _("Gray list")
        CLEARED = "cleared", _("Cleared (vetted as honest)")

    class Origin(models.TextChoices):
        DECISION = "decision", _("Moderator's decision")
        PARTNER_PROPOSAL = "partner_proposal", _("Partner's proposal")
        PARTNER_REPORT = "partner_report", _("Partner's report of an indicator")
        DETECTION = "detection", _("Detection")

    class End(models.TextChoices):
        """How an entry left force."""

        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked by a senior moderator")
        WITHDRAWN = "withdrawn", _("Withdrawn by the proposing partner")
        SUPERSEDED = "superseded", _("Superseded by another list")
        REASSIGNED = "reassigned", _("Number reassigned to a new subscriber")
        OVERTURNED = "overturned", _("Decision overturned")

    class State(models.TextChoices):
        """What the lists page filters by."""

        IN_FORCE = "in_force", _("In force")
        AWAITING_PROMOTION = "awaiting_promotion", _("Awaiting promotion")
        DISPUTED = "disputed", _("Disputed")
        QUARANTINED = "quarantined", _("Quarantined")
        EXPIRED = "expired", _("Expired")
        ENDED = "ended", _("Revoked or withdrawn")

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
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended = models.CharField(_("ended"), max_length=12, choices=End.choices, blank=True)
    # Other partners than the first that support the entry, and disputes ever opened.
    corroborations = models.PositiveIntegerField(_("corroborations"), default=0)
    disputes = models.PositiveIntegerField(_("disputes"), default=0)
    # When partners of enough kinds supported a gray entry: it waits for a senior moderator.
    promotion_due_at = models.DateTimeField(_("awaiting promotion since"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("promoted"), null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A spike of hits took the entry out of matching until a senior moderator looks.
    quarantined_at = models.DateTimeField(_("quarantined"), null=True, blank=True)
    quarantine_reason = models.CharField(_("quarantine reason"), max_length=200, blank=True)
    # A senior moderator's release: a spike that day does not quarantine the entry again.
    released_at = models.DateTimeField(_("released from quarantine"), null=True, blank=True)
    # The last listing, corroboration or hit: a gray entry's weight decays from here.
    fresh_at = models.DateTimeField(_("last corroborated or hit"), default=timezone.now)

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
            # Only a moderator's decision, or a senior moderator's promotion of a gray entry,
            # puts anything on the black list.
            models.CheckConstraint(
                condition=~Q(list="black") | Q(origin="decision") | Q(promoted_by__isnull=False),
                name="indicator_black_only_by_moderator",
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
            models.Index(fields=["-listed_at"], name="indicator_newest"),
        ]
        permissions = [
            ("dispute_indicator", "Can dispute list entries"),
            (
                "review_indicator",
                "Can promote, revoke and release list entries and resolve their disputes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list}:{self.kind}:{self.display or self.value}"

    def is_in_force(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def state(self, now=None) -> str:
        """The entry's state (Indicator.State), open disputes aside (they are rows)."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return self.State.EXPIRED if self.ended == self.End.EXPIRED else self.State.ENDED
        if self.expires_at is not None and self.expires_at <= now:
            return self.State.EXPIRED
        if self.quarantined_at is not None:
            return self.State.QUARANTINED
        if self.list == self.List.GRAY and self.promotion_due_at is not None:
            return self.State.AWAITING_PROMOTION
        return self.State.IN_FORCE


class Corroboration(models.Model):
    """A partner's support for an entry: its proposal, or its report of the value used in a
    fraud (with the scheme, amount and date as evidence). One per partner and entry."""

    class Source(models.TextChoices):
        PROPOSAL = "proposal", _("Proposal")
        REPORT = "report", _("Report of an indicator")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="supports")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    # The partner's kind when it supported the entry: the quorum counts kinds.
    partner_kind = models.CharField(_("partner kind"), max_length=20)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    reason = models.TextField(_("reason"), blank=True)
    scheme = models.CharField(_("scheme"), max_length=32, choices=Scheme.choices, blank=True)
    amount = models.PositiveBigIntegerField(_("amount, KZT"), null=True, blank=True)
    occurred_on = models.DateField(_("fraud date"), null=True, blank=True)
    report_ref = models.CharField(_("report"), max_length=140, blank=True)
    created_at = models.DateTimeField(_("supported"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("corroboration")
        verbose_name_plural = _("corroborations")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "partner"], name="corroboration_one_per_partner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} supports {self.indicator_id}"


class Dispute(models.Model):
    """A challenge of an entry, by a partner or a staff member, reviewed by a senior
    moderator who did not list the entry."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Entry upheld")
        REVOKED = "revoked", _("Entry revoked")

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="dispute_set")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            # One open dispute per entry and disputer.
            models.UniqueConstraint(
                fields=["indicator", "partner"],
                condition=Q(status="open", partner__isnull=False),
                name="dispute_one_open_per_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} of {self.indicator_id} ({self.status})"


class Feedback(models.Model):
    """A partner's finding, in its own investigation, that an entry (or its hit) was a true
    or a false positive. The latest per partner and entry counts."""

    class Verdict(models.TextChoices):
        TRUE_POSITIVE = "true_positive", _("True positive")
        FALSE_POSITIVE = "false_positive", _("False positive")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="feedback_set")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("given"), default=timezone.now)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "partner"], name="feedback_one_per_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} on {self.indicator_id}: {self.verdict}"


class IndicatorHits(models.Model):
    """Look-up and report hits of an entry per day: its baseline, and its spikes."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="hit_days")
    day = models.DateField(_("day"))
    hits = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("hits of a day")
        verbose_name_plural = _("hits per day")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "day"], name="indicator_hits_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} on {self.day}: {self.hits}"


class LookupTally(models.Model):
    """Values a partner looked up, per day, purpose and outcome."""

    class Purpose(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        LISTING = "listing", _("Listing")
        ONBOARDING = "onboarding", _("Onboarding")
        INVESTIGATION = "investigation", _("Investigation")

    class Outcome(models.TextChoices):
        HIT = "hit", _("Hit")
        MISS = "miss", _("Miss")
        INVALID = "invalid", _("Invalid value")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    count = models.PositiveIntegerField(_("values"), default=0)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("look-up tally")
        verbose_name_plural = _("look-up tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "day", "purpose", "outcome"], name="lookup_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.purpose} {self.outcome}: {self.count}"


class LookupAlert(models.Model):
    """A partner whose look-ups looked like a walk through the numbers: slowed, and shown
    to the hub."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200)
    details = models.JSONField(_("details"), default=dict, blank=True)
    slowed_until = models.DateTimeField(_("slowed until"))

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("look-up alert")
        verbose_name_plural = _("look-up alerts")

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.reason}"


class PhoneReassignment(models.Model):
    """A telecom's word that a number went to a new subscriber: what was on it before is
    not the new owner's."""

    value = models.CharField(_("phone"), max_length=32, db_index=True)
    reassigned_on = models.DateField(_("reassigned on"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        verbose_name = _("number reassignment")
        verbose_name_plural = _("number reassignments")
        constraints = [
            models.UniqueConstraint(
                fields=["value", "reassigned_on"], name="reassignment_unique_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} reassigned {self.reassigned_on}"


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
