"""What is flagged (subjects: accounts and listings on a partner), what is seen on them
(contacts, devices, photos) and why they are suspect (signals)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner
from antifraud.access import VisibleQuerySet


class Scheme(models.TextChoices):
    """The fraud schemes the policy catalogue and the detection rules speak of."""

    FAKE_RENTAL = "fake_rental", _("Fake short-term rental")
    UNDERPRICED_VEHICLE = "underpriced_vehicle", _("Vehicle at a suspiciously low price")
    UNDERPRICED_PROPERTY = "underpriced_property", _("Property at a suspiciously low price")
    PREPAID_DELIVERY = "prepaid_delivery", _("Prepaid delivery")
    FAKE_PHOTOS = "fake_photos", _("Stolen or fake photos")
    FAKE_CONTACTS = "fake_contacts", _("Fake contact details")
    REPEAT_OFFENDER = "repeat_offender", _("Repeat registration")
    FICTITIOUS_STORE = "fictitious_store", _("Fictitious online store")
    FALSE_INVESTMENT = "false_investment", _("False investment")
    FALSE_CALL = "false_call", _("False call")
    OTHER = "other", _("Other")


class Category(models.TextChoices):
    CARS = "cars", _("Cars")
    AUTO_PARTS = "auto_parts", _("Car parts")
    APARTMENTS = "apartments", _("Apartments for sale")
    HOUSES = "houses", _("Houses for sale")
    SHORT_TERM_RENTAL = "short_term_rental", _("Short-term rental")
    LONG_TERM_RENTAL = "long_term_rental", _("Long-term rental")
    ELECTRONICS = "electronics", _("Electronics")
    HOME_GOODS = "home_goods", _("Home and garden")
    CLOTHING = "clothing", _("Clothing")
    SERVICES = "services", _("Services")


class Subject(models.Model):
    """A flagged account or listing on one partner's platform."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        LISTING = "listing", _("Listing")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")
        REMOVED = "removed", _("Removed")
        CLEARED = "cleared", _("Cleared")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="subjects"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    # For a listing: the account that posted it, on the same partner.
    account = models.ForeignKey(
        "self",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="listings",
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, blank=True)
    price = models.PositiveBigIntegerField(_("price"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="KZT")
    city = models.CharField(_("city"), max_length=100, blank=True)
    url = models.URLField(_("URL on the partner"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    registered_at = models.DateTimeField(_("registered on the partner"), null=True, blank=True)
    # What a partner says of a listing beyond its category, for comparing like with like:
    # {"make": "toyota", "model": "camry", "year": 2012} or {"rooms": 2}.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # The ring (connected component of subjects sharing identifiers or near-duplicate
    # photos) this subject belongs to: the id of one of its members. Kept up to date as
    # reports arrive (antifraud.detection.rings).
    ring_id = models.BigIntegerField(_("ring"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind", "external_id"], name="subject_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["account", "listing"]), name="subject_kind_valid"
            ),
            # Accounts are blocked, listings are removed; neither takes the other's status.
            models.CheckConstraint(
                condition=(
                    Q(kind="account", status__in=["active", "blocked", "cleared"])
                    | Q(kind="listing", status__in=["active", "removed", "cleared"])
                ),
                name="subject_status_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(account__isnull=True) | Q(kind="listing"),
                name="subject_only_listings_have_account",
            ),
            models.CheckConstraint(condition=~Q(external_id=""), name="subject_external_id_set"),
        ]
        indexes = [
            models.Index(fields=["category", "city"], name="subject_category_city"),
            models.Index(fields=["partner", "status"], name="subject_partner_status"),
        ]

    def __str__(self) -> str:
        return f"{self.partner.slug}:{self.kind}:{self.external_id}"

    @property
    def owner(self) -> Subject | None:
        """The account behind a subject: itself for an account, the account that posted it
        for a listing (None when the partner did not say)."""
        return self if self.kind == self.Kind.ACCOUNT else self.account


class IndicatorKind(models.TextChoices):
    """Kinds of values seen on subjects and listed as indicators, always normalised."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    CARD = "card", _("Card")
    IBAN = "iban", _("IBAN")
    DEVICE = "device", _("Device")
    PHOTO = "photo", _("Photo hash")
    URL = "url", _("URL")
    # A Kazakh individual or business identification number (IIN or BIN), kept as a keyed
    # digest and its last four digits, as cards are.
    IIN = "iin", _("IIN/BIN")


INDICATOR_KINDS = [k.value for k in IndicatorKind]
# Kinds kept only as a keyed digest and shown by their last four digits.
DIGESTED_KINDS = frozenset({IndicatorKind.CARD, IndicatorKind.IIN})


class SubjectIdentifier(models.Model):
    """A normalised value seen on a subject; shared values link subjects into rings."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices)
    # Normalised: phones in E.164, e-mails lower-cased, cards as a keyed digest.
    value = models.CharField(_("value"), max_length=255)
    # What a person may see: the phone formatted, a card as its last four digits.
    display = models.CharField(_("shown as"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind", "value"], name="identifier_unique_per_subject"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=INDICATOR_KINDS), name="identifier_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind", "value"], name="identifier_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.display or self.value}"


class Photo(models.Model):
    """A photo of a listing or profile, with its hashes for finding re-used images."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=0)
    # Stored by content (photos/<sha256[:2]>/<sha256>.jpg), served only through a view.
    image = models.FileField(_("image"), upload_to="photos/", max_length=200, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # PDQ perceptual hash, 64 hex digits; near-duplicates differ in few bits.
    pdq_hash = models.CharField(_("PDQ hash"), max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["subject", "position"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [models.Index(fields=["pdq_hash"], name="photo_pdq_hash")]

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.subject_id}"


class Signal(models.Model):
    """One reason to suspect a subject, with an explanation a moderator can read."""

    class Source(models.TextChoices):
        PARTNER_REPORT = "partner_report", _("Partner report")
        USER_COMPLAINT = "user_complaint", _("User complaint")
        DETECTION_RULE = "detection_rule", _("Detection rule")
        LIST_MATCH = "list_match", _("List match")
        LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")

    AUTOMATED_SOURCES = frozenset({Source.DETECTION_RULE, Source.LIST_MATCH})

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="signals")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    scheme = models.CharField(_("scheme"), max_length=32, choices=Scheme.choices)
    score = models.PositiveSmallIntegerField(_("score"), default=50)
    explanation = models.TextField(_("explanation"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    # The detection rule that raised it, when one did, and the rule's version then.
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    # Raised by a rule in shadow mode: stored and shown, never counted in the risk score.
    shadow = models.BooleanField(_("shadow"), default=False)
    # How much the score counts in the case's risk: a reporting partner's reports weigh by
    # how often its past reports were upheld; rules weigh 1.
    weight = models.FloatField(_("weight"), default=1.0)
    # The partner that reported it, and the partner's own id for the report (idempotency).
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="signals"
    )
    report_id = models.CharField(_("report id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "report_id"],
                condition=~Q(report_id=""),
                name="signal_unique_partner_report",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="signal_score_range"),
            models.CheckConstraint(
                condition=Q(
                    source__in=[
                        "partner_report",
                        "user_complaint",
                        "detection_rule",
                        "list_match",
                        "law_enforcement",
                    ]
                ),
                name="signal_source_valid",
            ),
            models.CheckConstraint(
                condition=~Q(source="partner_report") | Q(partner__isnull=False),
                name="signal_report_has_partner",
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "created_at"], name="signal_subject_created"),
            # The monthly figures count signals by month.
            models.Index(fields=["created_at"], name="signal_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.get_scheme_display()} ({self.score})"

    @property
    def is_automated(self) -> bool:
        return self.source in self.AUTOMATED_SOURCES


class PhotoHash(models.Model):
    """The near-duplicate index of PDQ hashes (multi-index hashing): each hash split into 16
    chunks of 16 bits. Two hashes within Hamming distance 31 agree within one bit on at least
    one chunk, so probing each chunk with its value and its 16 one-bit neighbours finds every
    candidate through an index; candidates are then checked bit by bit.

    `value` is a hash as seen (an original, or one of its mirrored and rotated variants when
    the hub had the image); `of_value` is the hash it stands for, as stored on photos,
    identifiers and indicators."""

    value = models.CharField(max_length=64)
    of_value = models.CharField(max_length=64)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    c0 = models.IntegerField()
    c1 = models.IntegerField()
    c2 = models.IntegerField()
    c3 = models.IntegerField()
    c4 = models.IntegerField()
    c5 = models.IntegerField()
    c6 = models.IntegerField()
    c7 = models.IntegerField()
    c8 = models.IntegerField()
    c9 = models.IntegerField()
    c10 = models.IntegerField()
    c11 = models.IntegerField()
    c12 = models.IntegerField()
    c13 = models.IntegerField()
    c14 = models.IntegerField()
    c15 = models.IntegerField()

    class Meta:
        verbose_name = _("photo hash")
        verbose_name_plural = _("photo hashes")
        constraints = [
            models.UniqueConstraint(fields=["value", "of_value"], name="photo_hash_unique"),
        ]
        indexes = [
            *(models.Index(fields=[f"c{n}"], name=f"photo_hash_c{n}") for n in range(16)),
            # The mirrored and rotated variants of a stored hash.
            models.Index(fields=["of_value"], name="photo_hash_of_value"),
        ]

    def __str__(self) -> str:
        return self.value


class TextPrint(models.Model):
    """A listing's text as the MinHash signature of its canonical words, with the signature
    cut into eight bands: texts sharing many words share a band, so near copies are found
    through an index (antifraud.detection.bursts)."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="text_print")
    signature = models.JSONField(default=list)
    b0 = models.IntegerField()
    b1 = models.IntegerField()
    b2 = models.IntegerField()
    b3 = models.IntegerField()
    b4 = models.IntegerField()
    b5 = models.IntegerField()
    b6 = models.IntegerField()
    b7 = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("text fingerprint")
        verbose_name_plural = _("text fingerprints")
        indexes = [models.Index(fields=[f"b{n}"], name=f"text_print_b{n}") for n in range(8)]

    def __str__(self) -> str:
        return f"text of {self.subject_id}"


class DetectionRule(models.Model):
    """A detection rule's settings as an administrator left them: its mode and thresholds.
    The rule itself is code (antifraud.detection); a rule without a row runs with its
    defaults. The version rises with each change, and every signal records the version that
    raised it."""

    class Mode(models.TextChoices):
        OFF = "off", _("Off")
        SHADOW = "shadow", _("Shadow (stored, not counted)")
        LIVE = "live", _("Live")

    code = models.CharField(_("code"), max_length=64, unique=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("detection rule")
        verbose_name_plural = _("detection rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=["off", "shadow", "live"]), name="detection_rule_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} ({self.mode})"
