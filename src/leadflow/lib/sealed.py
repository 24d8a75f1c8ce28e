"""Secrets stored encrypted: a column type that seals on write and opens on read.

`SealedText` keeps a value as "fernet:<token>" (Fernet: AES-128-CBC with an HMAC,
`cryptography`), with the key the process was configured with (`configure`, called
by the container from the settings). A value stored before sealing existed (no
prefix) reads as it is and is sealed the next time it is written. A database copied
without the key gives tokens nobody can use.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"
_cipher: Fernet | None = None


class SealedSecretUnreadable(RuntimeError):
    """The stored secret was sealed with another key."""


def key_from(token_key: str, secret_key: str) -> bytes:
    """The Fernet key: the configured one, else one derived from the secret key."""
    if token_key:
        return token_key.encode()
    digest = hashlib.sha256(b"leadflow sealed secrets\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configure(key: bytes) -> None:
    global _cipher
    _cipher = Fernet(key)


def _current() -> Fernet:
    if _cipher is None:
        raise RuntimeError("sealed secrets need a key: build the Container (or call configure)")
    return _cipher


def seal(text: str) -> str:
    return PREFIX + _current().encrypt(text.encode()).decode()


def open_sealed(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before secrets were sealed
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SealedSecretUnreadable(
            "A stored secret was sealed with another key (LEADFLOW_TOKEN_KEY or the secret "
            "key changed): enter it again"
        ) from None


class SealedText(TypeDecorator[str]):
    """Text encrypted at rest; None stays None."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else open_sealed(str(value))
