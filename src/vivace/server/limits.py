"""The limits the server enforces before a request reaches the app."""

from __future__ import annotations

from dataclasses import dataclass, fields

from vivace.core.exceptions import ConfigError

KiB = 1024
_WHOLE_NUMBERS = ("max_header_size", "max_header_count", "limit_concurrency")


@dataclass(frozen=True)
class ServerLimits:
    """Caps and timeouts applied to every HTTP/1.1 connection.

    Body *size* is not here: the app caps it per route while it streams.
    """

    # Bytes of the request line plus every header line.
    max_header_size: int = 32 * KiB
    max_header_count: int = 100
    # Seconds to receive a whole request head, counted from its first byte
    # (from the connection's start for its first request).
    header_timeout: float = 10.0
    # Seconds allowed between two pieces of a request body.
    body_timeout: float = 30.0
    # Seconds an idle keep-alive connection stays open between requests.
    keepalive_timeout: float = 5.0
    # From this many open connections or running requests on, answer 503 at once.
    limit_concurrency: int | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None and field.name == "limit_concurrency":
                continue
            whole = field.name in _WHOLE_NUMBERS
            if not _is_positive(value, whole):
                wanted = "a whole number" if whole else "a number of seconds"
                raise ConfigError(f"ServerLimits.{field.name} = {value!r} is invalid: give {wanted} above 0")


def _is_positive(value: object, whole: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return not whole and isinstance(value, float) and value > 0


DEFAULT_LIMITS = ServerLimits()
