"""Secrets at rest: partner webhook secrets are encrypted, API keys are only ever hashed."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored ciphertext does not open with any configured key."""


def _fernet_for(key: str) -> Fernet:
    # Any string can serve as a key: it is stretched to the 32 bytes Fernet wants.
    digest = hashlib.sha256(key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernet() -> MultiFernet:
    keys = [settings.SECRETS_ENCRYPTION_KEY, *settings.SECRETS_ENCRYPTION_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(k) for k in keys])


def secret_encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def secret_decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("stored secret does not decrypt with the configured keys") from exc


def api_key_hash(key: str) -> str:
    """API keys are long random strings, so one round of SHA-256 is enough to store them."""
    return hashlib.sha256(key.encode()).hexdigest()
