"""The append-only, hash-chained audit trail (written through antifraud.audit)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner
from antifraud.access import VisibleQuerySet
from antifraud.models.immutable import ImmutableModel


class AuditEvent(ImmutableModel):
    """Who did what to which object, when. Written by a service's transaction without a
    place in the chain; the sequencer (antifraud.audit) then gives it the next `seq` and a
    hash covering the previous event's hash, so removing or editing any chained event breaks
    the chain from there on."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kept as written, so the trail reads the same after a rename: "olga.k", "system",
    # "partner:kolesa".
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    # The partner whose trail holds the event (NULL: the hub's alone), set once when it is
    # written (antifraud.audit.trail_partner_ids). Not hashed: the chain is the same with or
    # without it; on PostgreSQL the trigger refuses to change it like any other column.
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    # NULL until the sequencer chains the event; then set once and never again. (NULL, not
    # "": the unique constraint must admit every unchained event at once.)
    seq = models.BigIntegerField(_("sequence"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        permissions = [("export_audit", "Can export the audit trail")]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["action", "created_at"], name="audit_action_time"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time"),
            # A partner's trail, newest first.
            models.Index(fields=["partner", "created_at"], name="audit_partner_time"),
            # What the sequencer reads: the few events not chained yet.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_unchained"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_repr}"
        )


class AuditChain(models.Model):
    """The head of the chain: one row, locked only by the sequencer, so that the chain never
    forks and no business transaction waits for it."""

    last_hash = models.CharField(max_length=64)
    last_seq = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"audit chain at {self.last_hash[:12]}"


class AuditChainCheck(models.Model):
    """One verification of the whole chain (antifraud.audit_checks): asked for by a
    supervisor, or by beat once a day, and run by the worker."""

    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    # None: beat's daily check.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # None until finished; then whether every chained event held.
    ok = models.BooleanField(_("intact"), null=True, blank=True)
    events_checked = models.BigIntegerField(_("events checked"), default=0)
    # The first event that did not hold (a plain number: the event may be gone).
    first_broken_event_id = models.BigIntegerField(_("first broken event"), null=True, blank=True)
    first_broken_seq = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, ok__isnull=True)
                | Q(finished_at__isnull=False, ok__isnull=False),
                name="audit_check_finished_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(ok=False, first_broken_event_id__isnull=False)
                | (Q(ok=True) | Q(ok__isnull=True)) & Q(first_broken_event_id__isnull=True),
                name="audit_check_broken_names_event",
            ),
        ]
        indexes = [models.Index(fields=["-requested_at"], name="audit_check_recent")]

    def __str__(self) -> str:
        return f"audit chain check {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
