"""The Host check: which ``Host`` headers an app answers to.

A request whose Host is missing, repeated, malformed (``good@evil``,
``good:80/path``) or not allowed gets 400 before any routing, so no URL the
app builds can carry an attacker's host name.
"""

from __future__ import annotations

from collections.abc import Iterable

from .exceptions import ConfigError

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_CACHE_SIZE = 256


class HostPolicy:
    def __init__(self, allowed: Iterable[str]) -> None:
        allowed = [host.lower() for host in allowed]
        for host in allowed:
            if host != "*" and split_host(host.removeprefix(".")) != host.removeprefix("."):
                raise ConfigError(
                    f"allowed_hosts entry {host!r} is not a host name: write the name alone, "
                    "without scheme, port or path ('example.com', '.example.com' for its "
                    "subdomains, '[::1]', or '*' for any)"
                )
        self.any = "*" in allowed
        self.exact = frozenset(h for h in allowed if not h.startswith("."))
        self.suffixes = tuple(h for h in allowed if h.startswith("."))
        self._cache: dict[bytes, bool] = {}

    def allowed_host(self, headers: list[tuple[bytes, bytes]]) -> bytes | None:
        """The request's Host header value if it is sent once and allowed; ``None`` otherwise."""
        found = None
        for name, value in headers:
            if name == b"host":
                if found is not None:
                    return None  # repeated
                found = value
        return found if found is not None and self.allows(found) else None

    def allows(self, raw_host: bytes) -> bool:
        verdict = self._cache.get(raw_host)
        if verdict is None:
            verdict = self._check(raw_host)
            if len(self._cache) < _CACHE_SIZE:
                self._cache[raw_host] = verdict
        return verdict

    def _check(self, raw_host: bytes) -> bool:
        try:
            host = raw_host.decode("ascii").lower()
        except UnicodeDecodeError:
            return False
        name = split_host(host)
        if name is None:
            return False
        if name.endswith(".") and not name.endswith(".."):
            name = name[:-1]  # the fully qualified form, "example.com."
        if self.any or name in self.exact:
            return True
        return any(name.endswith(suffix) or name == suffix[1:] for suffix in self.suffixes)


def split_host(host: str) -> str | None:
    """The name part of a valid ``name[:port]`` or ``[ipv6][:port]``; ``None`` if malformed."""
    if not host or len(host) > 255:
        return None
    if host.startswith("["):
        end = host.find("]")
        if end == -1:
            return None
        name, rest = host[: end + 1], host[end + 1 :]
        if not all(c in "0123456789abcdef:." for c in name[1:-1]):
            return None
    else:
        name, sep, port = host.partition(":")
        rest = sep + port
        if not name or not _NAME_CHARS.issuperset(name):
            return None
    if rest:
        port = rest[1:]
        if rest[0] != ":" or not (port.isascii() and port.isdigit()) or len(port) > 5:
            return None
    return name
