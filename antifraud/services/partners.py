"""Partner records and their webhook signing secrets: created, changed and rotated only here,
each change locked, checked and audited with its old and new values (never a secret).

`actor=None` is an operator at the shell (management commands); a user must be allowed by
the access policy.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Partner, User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed
from antifraud.models import Category

# Fields of a partner record people may change; `slug` names the partner in URLs, keys and
# payloads, so it is set once.
EDITABLE = ("name", "kind", "website", "categories", "webhook_url", "is_active")
# How long the previous secret keeps signing after a rotation, unless told otherwise.
DEFAULT_OVERLAP = timedelta(hours=24)
OVERLAP_MAX = timedelta(days=30)
SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes


def _require_hub_admin(actor: User | None) -> None:
    if actor is not None and not access.may_manage_partners(actor):
        raise NotAllowed(_("only the hub's administrators manage partner records"))


def _clean(partner: Partner) -> None:
    """The model's own validation (URL, slug, choices), as one InvalidInput."""
    try:
        partner.full_clean()
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
        raise InvalidInput(problems, code="invalid_partner") from exc
    if partner.webhook_url and urlsplit(partner.webhook_url).scheme not in ("http", "https"):
        raise InvalidInput(_("webhook_url: webhooks go to an http(s) URL"), code="invalid_partner")
    unknown = sorted(set(partner.categories) - set(Category.values))
    if unknown:
        raise InvalidInput(
            _("unknown categories: %(categories)s") % {"categories": ", ".join(unknown)},
            code="invalid_partner",
        )


def _shown(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


@transaction.atomic
def partner_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    kind: str,
    website: str = "",
    categories: Sequence[str] = (),
    webhook_url: str = "",
    is_active: bool = True,
) -> Partner:
    _require_hub_admin(actor)
    partner = Partner(
        name=name.strip(),
        slug=slug.strip(),
        kind=kind,
        website=website.strip(),
        categories=list(categories),
        webhook_url=webhook_url.strip(),
        is_active=is_active,
    )
    _clean(partner)
    partner.save()
    audit_record(
        actor=actor,
        action="partner.created",
        target=partner,
        payload={name: _shown(getattr(partner, name)) for name in ("slug", *EDITABLE)},
    )
    return partner


@transaction.atomic
def partner_update(*, actor: User | None, partner_id: int, changes: Mapping[str, Any]) -> Partner:
    """Change some of EDITABLE; the audit event holds each changed field's old and new
    value. Changing nothing writes nothing."""
    _require_hub_admin(actor)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            _("these partner fields cannot be changed here: %(fields)s")
            % {"fields": ", ".join(unknown)},
            code="not_editable",
        )
    partner = Partner.objects.select_for_update().filter(pk=partner_id).first()
    if partner is None:
        raise InvalidInput(_("no such partner"), code="not_found")
    diff = {}
    for name, value in changes.items():
        old = getattr(partner, name)
        if _shown(old) != _shown(value):
            diff[name] = {"old": _shown(old), "new": _shown(value)}
            setattr(partner, name, value)
    if not diff:
        return partner
    _clean(partner)
    partner.save(update_fields=[*diff])
    audit_record(actor=actor, action="partner.updated", target=partner, payload={"changes": diff})
    return partner


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@transaction.atomic
def partner_webhook_secret_rotate(
    *,
    actor: User | None,
    partner_id: int,
    overlap: timedelta = DEFAULT_OVERLAP,
    secret: str | None = None,
    now: datetime | None = None,
) -> tuple[Partner, str]:
    """Give the partner a new signing secret and return it: the only time it is shown.

    Until `overlap` has passed, webhooks carry a signature by the new secret and one by the
    previous (Standard Webhooks allows several in one header), so the partner can switch its
    receiver over at any moment of the overlap. `overlap` zero retires the previous secret at
    once. `secret` lets an operator set a secret agreed with the partner (it must be a
    Standard Webhooks secret); by default a random one is made.
    """
    _require_hub_admin(actor)
    if not timedelta(0) <= overlap <= OVERLAP_MAX:
        raise InvalidInput(
            _("the overlap lasts from 0 to %(days)d days") % {"days": OVERLAP_MAX.days},
            code="invalid_overlap",
        )
    chosen = secret is not None
    secret = webhook_secret_new() if secret is None else secret.strip()
    _check_secret(secret)
    now = now or timezone.now()
    partner = Partner.objects.select_for_update().filter(pk=partner_id).first()
    if partner is None:
        raise InvalidInput(_("no such partner"), code="not_found")
    had_secret = bool(partner.webhook_secret_encrypted)
    until = now + overlap if overlap and had_secret else None
    partner.webhook_secret_store(secret, previous_until=until)
    partner.webhook_secret_rotated_at = now
    partner.save(
        update_fields=[
            "webhook_secret_encrypted",
            "webhook_secret_rotated_at",
            "previous_webhook_secret_encrypted",
            "previous_webhook_secret_until",
        ]
    )
    audit_record(
        actor=actor,
        action="partner.webhook_secret_rotated" if had_secret else "partner.webhook_secret_set",
        target=partner,
        payload={"previous_valid_until": until, "chosen_by_operator": chosen},
    )
    return partner, secret


def _check_secret(secret: str) -> None:
    body = secret.removeprefix("whsec_")
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise InvalidInput(
            _("a webhook secret is `whsec_` followed by base64"), code="invalid_secret"
        ) from exc
    if not secret.startswith("whsec_") or not 24 <= len(raw) <= 64:
        raise InvalidInput(
            _("a webhook secret is `whsec_` followed by base64 of 24 to 64 bytes"),
            code="invalid_secret",
        )


@transaction.atomic
def partner_webhook_secret_retire_previous(
    *, actor: User | None, partner_id: int, now: datetime | None = None
) -> Partner:
    """End a rotation's overlap now: webhooks are signed by the current secret alone."""
    _require_hub_admin(actor)
    now = now or timezone.now()
    partner = Partner.objects.select_for_update().filter(pk=partner_id).first()
    if partner is None:
        raise InvalidInput(_("no such partner"), code="not_found")
    if not partner.previous_webhook_secret_encrypted or (
        partner.previous_webhook_secret_until is not None
        and partner.previous_webhook_secret_until <= now
    ):
        raise DomainError(_("no previous secret is in use"), code="no_previous_secret")
    ended = partner.previous_webhook_secret_until
    partner.previous_webhook_secret_encrypted = ""
    partner.previous_webhook_secret_until = None
    partner.save(
        update_fields=["previous_webhook_secret_encrypted", "previous_webhook_secret_until"]
    )
    audit_record(
        actor=actor,
        action="partner.webhook_secret_retired",
        target=partner,
        payload={"was_valid_until": ended},
    )
    return partner
