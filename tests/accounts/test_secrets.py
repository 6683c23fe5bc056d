from __future__ import annotations

import pytest
from django.db import connection

from accounts.crypto import SecretUnreadable
from accounts.models import Partner
from antifraud.services.partners import partner_webhook_secret_rotate, webhook_secret_new

pytestmark = pytest.mark.django_db


def test_webhook_secret_is_encrypted_at_rest(kolesa):
    secret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci1rb2xlc2E="
    partner_webhook_secret_rotate(actor=None, partner_id=kolesa.pk, secret=secret)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT webhook_secret_encrypted FROM accounts_partner WHERE id = %s", [kolesa.pk]
        )
        stored = cursor.fetchone()[0]
    assert "whsec_" not in stored
    assert "c2VjcmV0" not in stored
    assert Partner.objects.get(pk=kolesa.pk).webhook_secret == secret


def test_secret_survives_key_rotation_with_a_fallback(kolesa, settings):
    secret = webhook_secret_new()
    partner_webhook_secret_rotate(actor=None, partner_id=kolesa.pk, secret=secret)
    old_key = settings.SECRETS_ENCRYPTION_KEY
    settings.SECRETS_ENCRYPTION_KEY = "a-new-key"
    with pytest.raises(SecretUnreadable):
        Partner.objects.get(pk=kolesa.pk).webhook_secret  # noqa: B018
    settings.SECRETS_ENCRYPTION_KEY_FALLBACKS = [old_key]
    assert Partner.objects.get(pk=kolesa.pk).webhook_secret == secret
