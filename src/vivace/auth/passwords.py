"""Password hashing (argon2id) and the rules a new password must pass.

Hashes look like ``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``: the algorithm
and its cost are part of the stored value, so a login with a hash made under
older settings is verified with those and then re-hashed under the current
ones. A password longer than ``password_max_length`` bytes is refused before
any hashing, so a megabyte "password" costs nothing. Checking a login for a
user who does not exist hashes the password all the same
(``verify_dummy``), so the answer takes as long as for a wrong password.

The validators are plain functions ``validate(password, user) -> str | None``
(a message, or ``None`` when the password passes); the ``password_validators``
setting names the built-in ones an app uses, in order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..core.exceptions import ConfigError

__all__ = [
    "VALIDATORS",
    "PasswordHasher",
    "common_passwords",
    "validate_password",
]


class PasswordHasher:
    """argon2id with the cost of the app's settings."""

    def __init__(
        self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4, max_length: int = 4096
    ) -> None:
        if memory_cost < 8 * parallelism:
            raise ConfigError(
                f"password_hash_memory = {memory_cost} KiB is below 8 KiB per lane "
                f"({parallelism} lanes): raise it or lower password_hash_parallelism"
            )
        self.max_length = max_length
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._dummy: str | None = None

    def too_long(self, password: str) -> bool:
        return len(password.encode("utf-8", "surrogatepass")) > self.max_length

    def hash(self, password: str) -> str:
        if self.too_long(password):
            raise ValueError(f"a password is at most {self.max_length} bytes")
        return self._hasher.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Whether ``password`` matches ``encoded``; a malformed or empty hash never matches."""
        if self.too_long(password) or not encoded.startswith("$argon2"):
            return False
        try:
            return self._hasher.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, password: str) -> None:
        """Spend the time of a real check, for a login whose user does not exist."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("vivace dummy password")
        self.verify(self._dummy, password)

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(encoded)
        except (InvalidHashError, ValueError):
            return True


# Validators --------------------------------------------------------------------------

Validator = Callable[[str, Any, Any], "str | None"]


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, from the ``zxcvbn`` package's frequency lists."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(FREQUENCY_LISTS["passwords"])


def _length(password: str, user: Any, settings: Any) -> str | None:
    minimum = settings.password_min_length
    if len(password) < minimum:
        return f"This password is too short: use at least {minimum} characters."
    return None


def _common(password: str, user: Any, settings: Any) -> str | None:
    if password.lower().strip() in common_passwords():
        return "This password is too common."
    return None


def _numeric(password: str, user: Any, settings: Any) -> str | None:
    if password.isdigit():
        return "This password is entirely numeric."
    return None


def _similar(password: str, user: Any, settings: Any) -> str | None:
    if user is None:
        return None
    lowered = password.lower()
    for attribute in ("username", "email", "first_name", "last_name"):
        value = getattr(user, attribute, None)
        if not isinstance(value, str) or len(value) < 3:
            continue
        value = value.lower()
        parts = {value, *value.replace("@", " ").replace(".", " ").replace("_", " ").split()}
        for part in parts:
            if len(part) >= 3 and (part in lowered or lowered in part):
                return f"This password is too similar to the {attribute.replace('_', ' ')}."
    return None


VALIDATORS: dict[str, Validator] = {
    "length": _length,
    "common": _common,
    "similar": _similar,
    "numeric": _numeric,
}


def check_validator_names(names: Iterable[str]) -> None:
    unknown = [name for name in names if name not in VALIDATORS]
    if unknown:
        raise ConfigError(
            f"setting password_validators names unknown rules {unknown}; allowed: {sorted(VALIDATORS)}"
        )


def validate_password(password: str, settings: Any, user: Any = None) -> list[str]:
    """Every message of the rules ``password`` breaks (empty when it passes)."""
    messages: list[str] = []
    if len(password.encode("utf-8", "surrogatepass")) > settings.password_max_length:
        return [f"This password is too long: at most {settings.password_max_length} bytes."]
    for name in settings.password_validators:
        message = VALIDATORS[name](password, user, settings)
        if message:
            messages.append(message)
    return messages
