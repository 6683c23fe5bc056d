"""Partners' API keys: created (shown once), revoked. Only the SHA-256 of a key is stored.

A key reads `afk_<prefix>_<secret>`: the prefix (12 hex digits) tells keys apart in lists,
logs and the admin without revealing anything; the secret carries 256 random bits, so one
round of SHA-256 is enough to store it (accounts.crypto.api_key_hash).
"""

from __future__ import annotations

import re
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.crypto import api_key_hash
from accounts.models import ApiKey, Partner, User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed, NotFound

KEY_SCHEME = "afk"
NAME_MAX = 100
# `afk_`, 12 hex digits, `_`, 43 characters of URL-safe base64 (32 random bytes).
KEY_PATTERN = re.compile(r"afk_(?P<prefix>[0-9a-f]{12})_[A-Za-z0-9_-]{43}")


def api_key_generate() -> tuple[str, str]:
    """A fresh (prefix, key) pair; the caller checks the prefix is not taken."""
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def api_key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, or None for anything else."""
    match = KEY_PATTERN.fullmatch(key)
    return match["prefix"] if match else None


@transaction.atomic
def api_key_create(*, actor: User | None, partner: Partner, name: str) -> tuple[ApiKey, str]:
    """Create a key for the partner. Returns the row and the key itself, which is never
    stored and cannot be shown again."""
    if actor is not None and not access.may_manage_api_keys(actor, partner):
        raise NotAllowed(_("you cannot create API keys for this partner"))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(
            _("name the key, e.g. after the system that will use it"), code="name_required"
        )
    if len(name) > NAME_MAX:
        raise InvalidInput(
            _("a key's name has at most %(n)d characters") % {"n": NAME_MAX}, code="name_too_long"
        )
    prefix, key = api_key_generate()
    # 48 bits of prefix: a collision is unlikely, but the prefix is unique, so draw again.
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix, key = api_key_generate()
    api_key = ApiKey.objects.create(
        partner=partner,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(key),
        created_by=actor,
        created_at=timezone.now(),
    )
    # Without an actor (the management command) the trail says "system": the partner is
    # the key's owner, not who created it.
    audit_record(
        actor=actor,
        action="api_key.created",
        target=api_key,
        payload={"partner": partner.slug, "prefix": prefix, "name": name},
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, actor: User | None, prefix: str) -> ApiKey:
    """Revoke a key at once: the next request made with it is refused."""
    api_key = (
        ApiKey.objects.select_for_update().select_related("partner").filter(prefix=prefix).first()
    )
    if api_key is None or (
        actor is not None and not access.may_manage_api_keys(actor, api_key.partner)
    ):
        raise NotFound(
            _("no API key with prefix “%(prefix)s”") % {"prefix": prefix}, code="key_not_found"
        )
    if api_key.revoked_at is not None:
        raise DomainError(
            _("the key %(prefix)s was already revoked on %(when)s")
            % {
                "prefix": prefix,
                "when": f"{timezone.localtime(api_key.revoked_at):%Y-%m-%d %H:%M}",
            },
            code="key_already_revoked",
        )
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_key.revoked",
        target=api_key,
        payload={"partner": api_key.partner.slug, "prefix": prefix},
    )
    return api_key
