"""What people decide: the policy catalogue, cases, decisions and appeals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.languages import LANGUAGE_CODES
from accounts.models import Partner
from antifraud.access import VisibleQuerySet
from antifraud.models import ImmutableModel, Indicator, Scheme, Signal, Subject
from reviews import deadlines


class Policy(models.Model):
    """One entry of the published catalogue of reason codes. A new wording is a new
    version; decisions keep pointing at the version they were made under."""

    class Action(models.TextChoices):
        BLOCK_ACCOUNT = "block_account", _("Block account")
        REMOVE_LISTING = "remove_listing", _("Remove listing")
        CLEAR = "clear", _("Clear (no violation)")
        WARN = "warn", _("Warn")

    code = models.SlugField(_("code"), max_length=64)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    scheme = models.CharField(_("scheme"), max_length=32, choices=Scheme.choices, blank=True)
    # Which decision actions may cite this policy.
    allowed_actions = models.JSONField(_("allowed actions"), default=list)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=200, blank=True)
    text_en = models.TextField(_("public text (English)"))
    text_ru = models.TextField(_("public text (Russian)"))
    text_kk = models.TextField(_("public text (Kazakh)"), blank=True)
    # The statement of reasons a moderator starts from; {title} and {partner} are filled in.
    statement_en = models.TextField(_("statement template (English)"))
    statement_ru = models.TextField(_("statement template (Russian)"))
    statement_kk = models.TextField(_("statement template (Kazakh)"), blank=True)
    # The indicator kinds a block under this policy normally lists on the black list (a
    # prepayment scam: phone, device, card): pre-ticked on the decision form.
    default_indicator_kinds = models.JSONField(
        _("indicator kinds listed by default"), default=list, blank=True
    )
    # How long a block under this policy may last, in days; 0 is permanent. Empty: permanent
    # only. The first is the form's default.
    block_durations = models.JSONField(
        _("block durations (days, 0 = permanent)"), default=list, blank=True
    )

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # A version is drafted by one of the hub's administrators and takes effect when another
    # publishes it (reviews.services.policies); the one in effect is the current version,
    # the ones before it stay for the decisions that cited them and for the public history.
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    is_current = models.BooleanField(_("current version"), default=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, default=timezone.now)
    # When a later version replaced this one (empty while it is current or a draft).
    superseded_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        permissions = [("publish_policy", "Can publish a drafted policy version")]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="policy_unique_version"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="policy_one_current_version"
            ),
            # One draft per code at a time: two drafts would race to be published.
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="draft"), name="policy_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="policy_status_valid"
            ),
            # A draft is never in effect and has no publication; a published version has.
            models.CheckConstraint(
                condition=Q(status="draft", is_current=False, published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="policy_draft_unpublished",
            ),
            # Four eyes: whoever drafted a version does not publish it.
            models.CheckConstraint(
                condition=Q(drafted_by__isnull=True)
                | Q(published_by__isnull=True)
                | ~Q(published_by=F("drafted_by")),
                name="policy_publisher_differs",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def localized(self, field: str, language: str) -> str:
        """`field` in `language`, falling back to Russian, then English."""
        for lang in (language, "ru", "en"):
            if lang in LANGUAGE_CODES:
                value = getattr(self, f"{field}_{lang}", "")
                if value:
                    return value
        return ""

    def allows(self, action: str) -> bool:
        return action in self.allowed_actions

    @property
    def durations(self) -> list[int]:
        """The block durations this policy allows, in days, 0 meaning permanent."""
        return [int(days) for days in self.block_durations] or [0]


class CaseQuerySet(VisibleQuerySet["Case"]):
    def in_queue(self) -> CaseQuerySet:
        return self.filter(status__in=[Case.Status.OPEN, Case.Status.ESCALATED])


class Case(models.Model):
    """One review of one subject, from the first signal to a decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        ESCALATED = "escalated", _("Escalated")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting second approval")
        DECIDED = "decided", _("Decided")

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="cases")
    # Copied from the subject so that queues are read from one indexed table.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="cases")
    subject_kind = models.CharField(_("kind"), max_length=10, choices=Subject.Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    scheme = models.CharField(_("scheme"), max_length=32, choices=Scheme.choices)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    priority = models.IntegerField(_("priority"), default=0)
    signals = models.ManyToManyField(Signal, related_name="cases", blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_cases",
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # Escalated cases stay in the escalation queue, also while a senior moderator holds one.
    is_escalated = models.BooleanField(_("escalated"), default=False)
    escalation_note = models.TextField(_("escalation note"), blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [
            ("claim_case", "Can claim and decide cases"),
            ("claim_escalated_case", "Can claim escalated cases"),
            ("approve_decision", "Can give the second approval to a high-impact decision"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=~Q(status="decided"),
                name="case_one_open_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["open", "claimed", "escalated", "awaiting_approval", "decided"]
                ),
                name="case_status_valid",
            ),
            # A claim is a holder and a lease together, and only a claimed case has one.
            models.CheckConstraint(
                condition=(
                    Q(status="claimed", claimed_by__isnull=False, lease_until__isnull=False)
                    | (~Q(status="claimed") & Q(claimed_by__isnull=True, lease_until__isnull=True))
                ),
                name="case_claim_has_holder_and_lease",
            ),
            models.CheckConstraint(
                condition=~Q(status="escalated") | Q(is_escalated=True),
                name="case_escalated_flagged",
            ),
            models.CheckConstraint(
                condition=Q(status="decided", decided_at__isnull=False)
                | (~Q(status="decided") & Q(decided_at__isnull=True)),
                name="case_decided_has_time",
            ),
            models.CheckConstraint(condition=Q(risk_score__lte=100), name="case_risk_range"),
        ]
        indexes = [
            # The queues: highest priority first, then oldest.
            models.Index(
                F("partner"),
                F("subject_kind"),
                F("priority").desc(),
                F("opened_at"),
                condition=Q(status="open"),
                name="case_queue_open",
            ),
            models.Index(
                F("scheme"),
                F("priority").desc(),
                F("opened_at"),
                condition=Q(status="open"),
                name="case_queue_scheme",
            ),
            models.Index(
                F("priority").desc(),
                F("opened_at"),
                condition=Q(status="escalated"),
                name="case_queue_escalated",
            ),
            models.Index(
                fields=["lease_until"], condition=Q(status="claimed"), name="case_lease_expiry"
            ),
            models.Index(fields=["claimed_by", "status"], name="case_holder"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.get_status_display()})"

    def is_held_by(self, user) -> bool:
        return self.status == self.Status.CLAIMED and self.claimed_by_id == user.pk

    @property
    def deadline_state(self) -> str:
        """reviews.deadlines.BREACHED, DUE_SOON or "" while the case waits; "" once decided."""
        if self.status == self.Status.DECIDED:
            return ""
        return deadlines.deadline_state(self.deadline, warning=deadlines.case_warning())


class Decision(ImmutableModel):
    """What was decided about a subject and why. Never edited: a correction or an overturn
    on appeal is a new decision that points at the one it reverses."""

    class Action(models.TextChoices):
        BLOCK_ACCOUNT = "block_account", _("Block account")
        REMOVE_LISTING = "remove_listing", _("Remove listing")
        CLEAR = "clear", _("Clear (no violation)")
        WARN = "warn", _("Warn")
        REVERSE = "reverse", _("Reverse an earlier decision")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="decisions")
    statement_of_reasons = models.TextField(_("statement of reasons"))
    language = models.CharField(_("language"), max_length=8, default="ru")
    internal_note = models.TextField(_("internal note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_decisions",
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)
    automated_detection = models.BooleanField(_("raised by automated detection"), default=False)
    automated_decision = models.BooleanField(_("decided automatically"), default=False)
    # The subject, its signals and linked subjects as the moderator saw them.
    evidence = models.JSONField(_("evidence snapshot"), default=dict)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    # Decisions applied together to a ring share this id.
    batch_id = models.UUIDField(_("ring decision"), null=True, blank=True, db_index=True)
    # A time-limited block: how many days, and when it lifts itself (reviews.services.
    # block_ends). Null on a permanent block and on every other action.
    block_days = models.PositiveSmallIntegerField(_("block length (days)"), null=True, blank=True)
    ends_at = models.DateTimeField(_("block ends"), null=True, blank=True)
    # The mark of the form that asked for this decision (on the main decision only): the
    # same form sent again finds it instead of deciding twice.
    attempt = models.UUIDField(null=True, blank=True, editable=False)
    listed_indicators = models.ManyToManyField(
        Indicator, related_name="listing_decisions", blank=True
    )
    revoked_indicators = models.ManyToManyField(
        Indicator, related_name="revoking_decisions", blank=True
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_at"]
        permissions = [("export_statements", "Can export statements of reasons")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action__in=["block_account", "remove_listing", "clear", "warn", "reverse"]
                ),
                name="decision_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(action="reverse", reverses__isnull=False)
                | (~Q(action="reverse") & Q(reverses__isnull=True)),
                name="decision_reversal_points_back",
            ),
            models.CheckConstraint(
                condition=Q(automated_decision=True) | Q(decided_by__isnull=False),
                name="decision_has_a_decider",
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=F("decided_by")), name="decision_approver_differs"
            ),
            models.CheckConstraint(
                condition=~Q(statement_of_reasons=""), name="decision_states_reasons"
            ),
            models.UniqueConstraint(
                fields=["attempt"],
                condition=Q(attempt__isnull=False),
                name="decision_attempt_once",
            ),
            # Only a block can be time-limited, and its length and end come together.
            models.CheckConstraint(
                condition=Q(block_days__isnull=True, ends_at__isnull=True)
                | Q(action="block_account", block_days__gt=0, ends_at__isnull=False),
                name="decision_block_end_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["decided_by", "decided_at"], name="decision_by_moderator"),
            models.Index(fields=["subject", "decided_at"], name="decision_subject"),
            # The monthly figures and the statement-of-reasons export read by date.
            models.Index(fields=["decided_at"], name="decision_decided_at"),
            models.Index(
                fields=["ends_at"], condition=Q(ends_at__isnull=False), name="decision_block_ends"
            ),
        ]

    def __str__(self) -> str:
        return f"decision {self.pk}: {self.action}"

    @property
    def is_appealable(self) -> bool:
        return self.action in (self.Action.BLOCK_ACCOUNT, self.Action.REMOVE_LISTING)


class DecisionProposal(models.Model):
    """A high-impact decision waiting for a second moderator. Nothing takes effect until
    someone other than the proposer approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="proposals")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20, choices=Policy.Action.choices)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    statement_of_reasons = models.TextField(_("statement of reasons"))
    language = models.CharField(_("language"), max_length=8, default="ru")
    internal_note = models.TextField(_("internal note"), blank=True)
    # [{"identifier": id, "list": "black" | "gray"}]
    indicators = models.JSONField(default=list, blank=True)
    gray_days = models.PositiveIntegerField(null=True, blank=True)
    ring_subject_ids = models.JSONField(default=list, blank=True)
    # A time-limited block's length in days; null: permanent (or not a block).
    block_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Why a second approval is needed, e.g. ["ring_size", "account_age"].
    reasons = models.JSONField(default=list)
    # The subject as the proposer saw it; the decisions keep it when approved.
    evidence = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_proposals",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    # The mark of the form that proposed it, as on Decision.
    attempt = models.UUIDField(null=True, blank=True, editable=False)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision awaiting approval")
        verbose_name_plural = _("decisions awaiting approval")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="proposal_one_pending_per_case"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]),
                name="proposal_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reviewed_by=F("proposed_by")), name="proposal_reviewer_differs"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", reviewed_by__isnull=True)
                | (~Q(status="pending") & Q(reviewed_by__isnull=False, reviewed_at__isnull=False)),
                name="proposal_review_recorded",
            ),
            models.UniqueConstraint(
                fields=["attempt"],
                condition=Q(attempt__isnull=False),
                name="proposal_attempt_once",
            ),
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk} ({self.get_status_display()})"


class Appeal(models.Model):
    """A blocked user's one appeal against one decision."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        UPHELD = "upheld", _("Upheld")
        OVERTURNED = "overturned", _("Overturned")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    RESOLVED = ("upheld", "overturned")

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="appeal")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    statement = models.TextField(_("appellant's statement"))
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    # When the appellant consented to the processing of what they sent.
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    receipt_sent_at = models.DateTimeField(_("receipt e-mailed"), null=True, blank=True)
    outcome_sent_at = models.DateTimeField(_("outcome e-mailed"), null=True, blank=True)
    # An e-mail that failed its last attempt, and why: shown to the reviewers.
    receipt_failed_at = models.DateTimeField(_("receipt e-mail failed"), null=True, blank=True)
    outcome_failed_at = models.DateTimeField(_("outcome e-mail failed"), null=True, blank=True)
    email_error = models.CharField(_("e-mail error"), max_length=300, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_appeals",
    )
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_appeals",
    )
    reply = models.TextField(_("reply to the appellant"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    reversal = models.OneToOneField(
        Decision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversing_appeal",
    )

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        permissions = [("review_appeal", "Can review appeals")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["submitted", "in_review", "upheld", "overturned", "withdrawn"]
                ),
                name="appeal_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["upheld", "overturned"])
                | Q(reviewer__isnull=False, resolved_at__isnull=False),
                name="appeal_resolution_has_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(status="overturned", reversal__isnull=False)
                | (~Q(status="overturned") & Q(reversal__isnull=True)),
                name="appeal_overturn_has_reversal",
            ),
            models.CheckConstraint(
                condition=Q(status="in_review", claimed_by__isnull=False, lease_until__isnull=False)
                | (~Q(status="in_review") & Q(claimed_by__isnull=True, lease_until__isnull=True)),
                name="appeal_review_has_holder",
            ),
            models.CheckConstraint(condition=~Q(statement=""), name="appeal_has_statement"),
        ]
        indexes = [
            models.Index(
                fields=["deadline"],
                condition=Q(status__in=["submitted", "in_review"]),
                name="appeal_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.get_status_display()})"

    def is_held_by(self, user) -> bool:
        return self.status == self.Status.IN_REVIEW and self.claimed_by_id == user.pk

    @property
    def is_resolved(self) -> bool:
        return self.status in self.RESOLVED

    @property
    def is_waiting(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.IN_REVIEW)

    @property
    def deadline_state(self) -> str:
        """reviews.deadlines.BREACHED, DUE_SOON or "" while the appeal waits; "" after."""
        if not self.is_waiting:
            return ""
        return deadlines.deadline_state(self.deadline, warning=deadlines.appeal_warning())


class AppealAttachment(models.Model):
    """Evidence an appellant uploaded; served only to staff allowed to see the appeal."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="appeals/", max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal attachment")
        verbose_name_plural = _("appeal attachments")

    def __str__(self) -> str:
        return self.original_name or f"attachment {self.pk}"


class Report(models.Model):
    """A partner's report as received, kept so that a resend of the same `report_id`
    returns the first answer and writes nothing."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="reports")
    report_id = models.CharField(_("report id"), max_length=128)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # A report of an account or listing; None for a report of indicators alone (a card,
    # IBAN, phone or device used in a fraud, with no listing behind it).
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    signal = models.OneToOneField(
        Signal, on_delete=models.PROTECT, null=True, blank=True, related_name="report"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    # The answer given the first time, returned as it was on a resend.
    result = models.JSONField(default=dict)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "report_id"], name="report_unique_per_partner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.report_id}"


# --- oversight ----------------------------------------------------------------------------


class QualitySampleQuerySet(VisibleQuerySet["QualitySample"]):
    def unreviewed(self) -> QualitySampleQuerySet:
        return self.filter(reviewed_at__isnull=True)


class QualitySample(models.Model):
    """A decision drawn for a supervisor's second look (reviews.services.sampling): a share
    of every moderator's decisions, and all of a new moderator's. The verdict judges the
    decision; it changes nothing for the moderator, and a disagreement may send the case
    back to the senior moderators as an escalation."""

    class Reason(models.TextChoices):
        RANDOM = "random", _("Random draw")
        NEW_MODERATOR = "new_moderator", _("New moderator")

    class Verdict(models.TextChoices):
        AGREE = "agree", _("Agree")
        DISAGREE = "disagree", _("Disagree")

    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, related_name="quality_sample"
    )
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)
    reason = models.CharField(_("why sampled"), max_length=16, choices=Reason.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_samples",
    )
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    # The case sent back to the senior moderators after a disagreement, if it was.
    reopened_case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = QualitySampleQuerySet.as_manager()

    class Meta:
        verbose_name = _("quality sample")
        verbose_name_plural = _("quality samples")
        permissions = [("review_qualitysample", "Can review sampled decisions")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=["random", "new_moderator"]), name="sample_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=["", "agree", "disagree"]), name="sample_verdict_valid"
            ),
            # A verdict comes with who gave it and when, and only with them.
            models.CheckConstraint(
                condition=Q(verdict="", reviewer__isnull=True, reviewed_at__isnull=True)
                | (~Q(verdict="") & Q(reviewer__isnull=False, reviewed_at__isnull=False)),
                name="sample_review_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(verdict="disagree") | ~Q(note=""), name="sample_disagreement_noted"
            ),
            models.CheckConstraint(
                condition=Q(reopened_case__isnull=True) | Q(verdict="disagree"),
                name="sample_reopens_on_disagreement",
            ),
        ]
        indexes = [
            # The sample queue: what waits for a verdict, oldest first.
            models.Index(
                fields=["drawn_at"], condition=Q(reviewed_at__isnull=True), name="sample_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"sample of decision {self.decision_id}"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class DigestSent(models.Model):
    """A supervisor's daily digest went out that day (reviews.services.digests): the mark
    that keeps a second run of the same day from sending it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"digest to {self.user_id} on {self.day}"


# --- the moderator's day ------------------------------------------------------------------


class BlockLift(models.Model):
    """A time-limited block came to its end (reviews.services.block_ends): lifted, or found
    already ended some other way (an appeal, a later decision). One per decision, so that the
    beat task never lifts a block twice."""

    class Outcome(models.TextChoices):
        LIFTED = "lifted", _("Lifted")
        SUPERSEDED = "superseded", _("Already ended another way")

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="lift")
    lifted_at = models.DateTimeField(_("lifted"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)

    class Meta:
        verbose_name = _("block lift")
        verbose_name_plural = _("block lifts")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["lifted", "superseded"]), name="block_lift_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"lift of decision {self.decision_id}"


class CaseDeferral(models.Model):
    """A moderator put a case aside: skipped (back to the queue; their next claims give
    other cases first for a while) or snoozed (hidden from their claims until a time or a
    new signal on the case, with a note). Others still see and claim it."""

    class Kind(models.TextChoices):
        SKIP = "skip", _("Skipped")
        SNOOZE = "snooze", _("Snoozed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deferrals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(_("put aside"), default=timezone.now)
    until = models.DateTimeField(_("until"))
    note = models.TextField(_("note"), blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("case put aside")
        verbose_name_plural = _("cases put aside")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["skip", "snooze"]), name="deferral_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="skip") | ~Q(note=""), name="deferral_snooze_noted"
            ),
        ]
        indexes = [models.Index(fields=["user", "until"], name="deferral_by_user")]

    def __str__(self) -> str:
        return f"{self.kind} of case {self.case_id} by {self.user_id}"


class SubjectNote(models.Model):
    """A moderator's internal note on a subject, shown on every later case of it. Staff
    only: never in a partner's payload, an e-mail or a public page."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject note")
        verbose_name_plural = _("subject notes")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="subject_note_has_text")]
        indexes = [models.Index(fields=["subject", "created_at"], name="subject_note_subject")]

    def __str__(self) -> str:
        return f"note {self.pk} on subject {self.subject_id}"


class ReplyTemplate(models.Model):
    """The reply an appeal reviewer starts from, per outcome, policy and language; a
    template without a policy serves every policy that has none of its own."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        OVERTURNED = "overturned", _("Overturned")

    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    policy_code = models.SlugField(_("policy code"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("appeal reply template")
        verbose_name_plural = _("appeal reply templates")
        ordering = ["outcome", "policy_code", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "policy_code", "language"], name="reply_template_unique"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["upheld", "overturned"]),
                name="reply_template_outcome_valid",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="reply_template_has_text"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} · {self.policy_code or '*'} · {self.language}"


class MonthlyFigure(models.Model):
    """One pre-aggregated figure of the public pages (the transparency report, the scam
    awareness page): a metric for a calendar month, for one partner or, with no partner,
    for all of them, optionally broken down by a key (a source, a scheme, a list). Kept by
    a beat task (reviews.transparency), so that the public pages read a few hundred rows
    whatever the number of subjects. `basis` is how many records the figure rests on (a
    count's own value, a median's or a share's sample): the pages suppress figures on too
    few records."""

    month = models.DateField(_("month"))
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    metric = models.CharField(_("metric"), max_length=48)
    key = models.CharField(_("broken down by"), max_length=100, blank=True)
    value = models.FloatField(_("value"))
    basis = models.PositiveIntegerField(_("records"), default=0)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        indexes = [models.Index(fields=["month", "metric"], name="figure_month_metric")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric} {self.key} = {self.value}"
