"""Who: partner organisations, the staff who sign in, and partners' API keys."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import secret_decrypt, secret_encrypt
from accounts.languages import LANGUAGES


class Partner(models.Model):
    """A platform or organisation that reports subjects and receives blocks."""

    class Kind(models.TextChoices):
        CLASSIFIEDS = "classifieds", _("Classifieds platform")
        TELECOM = "telecom", _("Telecom operator")
        FINTECH = "fintech", _("Fintech")
        BANK = "bank", _("Bank")
        LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    website = models.URLField(_("website"), blank=True)
    # Category slugs (antifraud.models.Category) the partner lists subjects in.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    # Fernet ciphertexts of the `whsec_…` signing secrets; never stored in plain text. While a
    # rotation's overlap lasts, webhooks carry a signature by each, so the partner's receiver
    # accepts them whether it holds the new secret yet or still the old one.
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_rotated_at = models.DateTimeField(
        _("webhook secret set"), null=True, blank=True, editable=False
    )
    previous_webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_webhook_secret_until = models.DateTimeField(
        _("previous webhook secret valid until"), null=True, blank=True, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Values the partner may look up a day (None: settings.LOOKUP_DAILY_QUOTA).
    lookup_quota = models.PositiveIntegerField(_("look-up quota a day"), null=True, blank=True)
    # Set when the partner's look-ups looked like a walk through the numbers.
    lookup_slowed_until = models.DateTimeField(_("look-ups slowed until"), null=True, blank=True)
    # How far the lists trust the partner's proposals, from other partners' feedback on them
    # (antifraud.services.registry.partner_reliability_update): 1.0 until proven otherwise.
    reliability = models.FloatField(_("reliability of its proposals"), default=1.0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["classifieds", "telecom", "fintech", "bank", "law_enforcement"]
                ),
                name="partner_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def webhook_secret(self) -> str:
        """The current signing secret ("" when none was set)."""
        return (
            secret_decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""
        )

    def webhook_signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a webhook is signed with at `now`: the current one, and the previous
        one while the rotation's overlap lasts."""
        secrets = [self.webhook_secret] if self.webhook_secret_encrypted else []
        if (
            self.previous_webhook_secret_encrypted
            and self.previous_webhook_secret_until is not None
            and self.previous_webhook_secret_until > now
        ):
            secrets.append(secret_decrypt(self.previous_webhook_secret_encrypted))
        return secrets

    def webhook_secret_store(self, secret: str, *, previous_until: datetime | None) -> None:
        """Keep `secret` (encrypted) as the current one; the one it replaces stays valid
        until `previous_until` (None: not at all). Callers are services, which save and
        audit."""
        if previous_until is not None and self.webhook_secret_encrypted:
            self.previous_webhook_secret_encrypted = self.webhook_secret_encrypted
            self.previous_webhook_secret_until = previous_until
        else:
            self.previous_webhook_secret_encrypted = ""
            self.previous_webhook_secret_until = None
        self.webhook_secret_encrypted = secret_encrypt(secret)


class User(AbstractUser):
    """A member of staff. Belongs to one partner, or to the hub when `partner` is empty."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("Empty for hub staff, who see every partner."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=LANGUAGES,
        default="ru",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def organisation(self) -> str:
        return self.partner.name if self.partner is not None else str(_("Hub"))


class ApiKey(models.Model):
    """A partner's key for the API. Only the SHA-256 of the key is kept."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    # The visible start of the key, to tell keys apart in lists and logs.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["partner", "revoked_at"], name="apikey_partner_active")]

    def __str__(self) -> str:
        return f"{self.partner.slug}:{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
