"""Model fields for personal data: encrypted at rest with keys from the environment."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_PREFIX = "enc1:"


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "MUEANG_PII_KEYS is not set: personal data cannot be stored or read without it"
        )
    return MultiFernet([Fernet(key.encode()) for key in keys])


def cipher() -> MultiFernet:
    """The cipher for personal data; the first key encrypts, every key decrypts (rotation)."""
    return _cipher(tuple(settings.MUEANG_PII_KEYS))


class EncryptedTextField(models.TextField):
    """Text stored as an authenticated Fernet token (AES-128-CBC + HMAC-SHA256).

    Empty values stay empty so "not recorded" is visible without a key. The database, its
    backups and anyone with SQL access see only tokens.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return TOKEN_PREFIX + cipher().encrypt(str(value).encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, "") or not value.startswith(TOKEN_PREFIX):
            return value
        try:
            return cipher().decrypt(value[len(TOKEN_PREFIX) :].encode()).decode()
        except InvalidToken as error:
            raise ImproperlyConfigured(
                "Personal data cannot be decrypted with the configured MUEANG_PII_KEYS"
            ) from error
