"""The outbox: one row per event per partner, written in the transaction that caused it and
delivered afterwards by Celery. The same rows are the partners' pull feed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner
from antifraud.access import VisibleQuerySet
from antifraud.models.subjects import Subject


class Delivery(models.Model):
    class EventType(models.TextChoices):
        SUBJECT_BLOCKED = "subject.blocked", "subject.blocked"
        SUBJECT_UNBLOCKED = "subject.unblocked", "subject.unblocked"
        LISTING_REMOVED = "listing.removed", "listing.removed"
        LISTING_RESTORED = "listing.restored", "listing.restored"
        INDICATOR_LISTED = "indicator.listed", "indicator.listed"
        INDICATOR_DELISTED = "indicator.delisted", "indicator.delisted"
        INDICATOR_PROMOTED = "indicator.promoted", "indicator.promoted"
        INDICATOR_DISPUTED = "indicator.disputed", "indicator.disputed"
        INDICATOR_QUARANTINED = "indicator.quarantined", "indicator.quarantined"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead")
        # The partner has no webhook URL: it reads this event from the feed.
        FEED = "feed", _("Feed only")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="deliveries")
    event_type = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    # The Standard Webhooks `webhook-id`: receivers deduplicate on it.
    webhook_id = models.CharField(max_length=64, unique=True)
    payload = models.JSONField(_("payload"))
    # The subject the event is about; empty for events about an indicator alone.
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Set while a worker is sending it, so that the redelivery sweep leaves it alone.
    in_flight_until = models.DateTimeField(null=True, blank=True)
    # When a task message was last handed to the broker for it; the sweep enqueues a row
    # again only once that is long past (the message was lost), never while it waits.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # The row's place in the partners' event feed, given by the feed's sequencer once the
    # row's transaction has committed (antifraud.services.outbox.feed_extend); empty until
    # then. Ids are taken at insert, places at commit: a reader past place N never misses a
    # row that commits later, for it gets a place after N.
    feed_seq = models.BigIntegerField(_("place in the feed"), null=True, blank=True, unique=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        permissions = [("retry_delivery", "Can retry dead deliveries")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "retrying", "delivered", "dead", "feed"]),
                name="delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="delivery_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "retrying"]),
                name="delivery_due",
            ),
            # The partner's event feed reads in feed order.
            models.Index(fields=["partner", "feed_seq"], name="delivery_partner_feed_seq"),
            # What the feed's sequencer reads: the few rows without a place yet.
            models.Index(
                fields=["id"], condition=Q(feed_seq__isnull=True), name="delivery_unsequenced"
            ),
            models.Index(fields=["partner", "status"], name="delivery_partner_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.partner.slug} ({self.status})"


class FeedHead(models.Model):
    """The last place given in the partners' event feed: one row, locked only by the feed's
    sequencer."""

    last_seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("event feed head")

    def __str__(self) -> str:
        return f"event feed at {self.last_seq}"


class DeliveryCircuit(models.Model):
    """A partner's delivery health: consecutive failed attempts, and while its circuit is
    open, no attempt is made until `open_until`. Its row is also what attempts to the
    partner lock, briefly, to keep to the partner's share of concurrent attempts."""

    partner = models.OneToOneField(
        Partner, on_delete=models.PROTECT, primary_key=True, related_name="delivery_circuit"
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery circuit")

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.consecutive_failures} failures"
