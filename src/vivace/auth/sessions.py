"""Sessions: ``request.session``, and the stores that keep them.

A session is a dict of JSON values. Its cookie holds a random id (128 bits
and more) for the server-side stores, or the whole session, signed, for the
cookie store:

- ``DatabaseStore``: the ``auth_session`` table of the app's database (the
  default: nothing to run besides the app);
- ``RedisStore``: Redis, for many workers (``REDIS_URL``), with the server
  expiring keys by itself;
- ``CookieStore``: a JWT (HS256 with a key derived from the app's secret) in
  the cookie; nothing is kept server-side, so a logout cannot end a copy of
  the cookie held elsewhere; a password change still ends the others, through
  the session's password fingerprint (see ``battery.py``).

The server-side stores key their records by a SHA-256 of the id, so reading
the table or the Redis keys gives no usable cookie. Every session has an idle
limit (``session_idle_timeout``) and an absolute one (``session_max_age``),
checked on load whatever the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
import time
import weakref
from collections.abc import Iterator, MutableMapping
from typing import Any, Protocol

import jwt
import msgspec

from ..core.exceptions import ConfigError, MissingDependency

__all__ = ["CookieStore", "DatabaseStore", "RedisStore", "Session", "SessionState", "SessionStore"]

ID_BYTES = 32
# A cookie store's cookie past this many bytes would be dropped by browsers.
MAX_COOKIE_BYTES = 4000


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


class SessionState(msgspec.Struct):
    """What a store keeps: the data, who is logged in, and two clocks (Unix seconds)."""

    data: dict[str, Any]
    user_id: str | None
    created: float
    last_seen: float


class SessionStore(Protocol):
    """Where sessions live. ``cookie`` is the cookie's value: an id, or the signed session."""

    async def load(self, cookie: str) -> SessionState | None: ...

    async def save(self, cookie: str | None, state: SessionState, lifetime: float) -> str:
        """Store ``state`` and return the cookie value (a new id when ``cookie`` is None)."""
        ...

    async def delete(self, cookie: str) -> None: ...

    async def delete_user_sessions(self, user_id: str, keep: str | None = None) -> None:
        """End every session of ``user_id`` but ``keep`` (a cookie value)."""
        ...

    async def close(self) -> None: ...


_encoder = msgspec.json.Encoder()
_state_decoder = msgspec.json.Decoder(SessionState)
_data_decoder = msgspec.json.Decoder(dict[str, Any])


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


class DatabaseStore:
    """Sessions in the ``auth_session`` table."""

    async def load(self, cookie: str) -> SessionState | None:
        from .models import SessionRecord

        record = await SessionRecord.objects.filter(key=digest(cookie)).afirst()
        if record is None:
            return None
        try:
            data = _data_decoder.decode(record.data)
        except msgspec.DecodeError:
            return None
        return SessionState(data, record.user_id, record.created.timestamp(), record.last_seen.timestamp())

    async def save(self, cookie: str | None, state: SessionState, lifetime: float) -> str:
        from .models import SessionRecord

        cookie = cookie or new_id()
        values = {
            "data": _encoder.encode(state.data).decode(),
            "user_id": state.user_id,
            "created": _utc(state.created),
            "last_seen": _utc(state.last_seen),
            "expires": _utc(time.time() + lifetime),
        }
        await SessionRecord.objects.aupdate_or_create(defaults=values, key=digest(cookie))
        return cookie

    async def delete(self, cookie: str) -> None:
        from .models import SessionRecord

        await SessionRecord.objects.filter(key=digest(cookie)).adelete()

    async def delete_user_sessions(self, user_id: str, keep: str | None = None) -> None:
        from .models import SessionRecord

        query = SessionRecord.objects.filter(user_id=user_id)
        if keep is not None:
            query = query.exclude(key=digest(keep))
        await query.adelete()

    async def clear_expired(self) -> int:
        from .models import SessionRecord

        return int(await SessionRecord.objects.filter(expires__lt=dt.datetime.now(dt.UTC)).adelete())

    async def close(self) -> None:
        """Nothing to close: the app's database is closed by the data layer."""


class RedisConnections:
    """A Redis client per event loop (a client's connections belong to the loop that opened them)."""

    def __init__(self, url: str) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise MissingDependency("redis", "redis") from None
        self.url = url
        self._factory = aioredis.Redis.from_url
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._factory(self.url)
        return client

    async def close(self) -> None:
        """Close every loop's client: this loop's here, a running loop's on that loop."""
        current = asyncio.get_running_loop()
        clients, self._clients = dict(self._clients), weakref.WeakKeyDictionary()
        for loop, client in clients.items():
            if loop is current:
                await client.aclose()
            elif loop.is_running():
                done = asyncio.run_coroutine_threadsafe(client.aclose(), loop)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.wrap_future(done), 5)


class RedisStore:
    """Sessions in Redis: ``<prefix>session:<sha256>`` keys with a TTL, and a set per user."""

    def __init__(self, connections: RedisConnections, prefix: str = "vivace:") -> None:
        self.connections = connections
        self.prefix = prefix

    @property
    def client(self) -> Any:
        return self.connections.get()

    def _key(self, cookie: str) -> str:
        return f"{self.prefix}session:{digest(cookie)}"

    def _user_key(self, user_id: str) -> str:
        return f"{self.prefix}user-sessions:{user_id}"

    async def load(self, cookie: str) -> SessionState | None:
        raw = await self.client.get(self._key(cookie))
        if raw is None:
            return None
        try:
            return _state_decoder.decode(raw)
        except msgspec.DecodeError:
            return None

    async def save(self, cookie: str | None, state: SessionState, lifetime: float) -> str:
        cookie = cookie or new_id()
        key = self._key(cookie)
        seconds = max(1, int(lifetime))
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(key, _encoder.encode(state), ex=seconds)
            if state.user_id is not None:
                user_key = self._user_key(state.user_id)
                pipe.sadd(user_key, key)
                pipe.expire(user_key, seconds, gt=True)
                pipe.expire(user_key, seconds, nx=True)
            await pipe.execute()
        return cookie

    async def delete(self, cookie: str) -> None:
        await self.client.delete(self._key(cookie))

    async def delete_user_sessions(self, user_id: str, keep: str | None = None) -> None:
        user_key = self._user_key(user_id)
        keys = [k.decode() if isinstance(k, bytes) else k for k in await self.client.smembers(user_key)]
        kept = self._key(keep) if keep is not None else None
        doomed = [k for k in keys if k != kept]
        if doomed:
            await self.client.delete(*doomed)
            await self.client.srem(user_key, *doomed)

    async def close(self) -> None:
        await self.connections.close()


class CookieStore:
    """The session itself in the cookie, as a JWT signed with a key derived from the app's secret."""

    def __init__(self, secret_key: str) -> None:
        self.key = hmac.new(secret_key.encode(), b"vivace.auth.cookie-session", hashlib.sha256).digest()

    async def load(self, cookie: str) -> SessionState | None:
        try:
            claims = jwt.decode(cookie, self.key, algorithms=["HS256"], options={"require": ["exp", "s"]})
            return msgspec.convert(claims["s"], SessionState)
        except (jwt.PyJWTError, msgspec.ValidationError, TypeError, KeyError):
            return None

    async def save(self, cookie: str | None, state: SessionState, lifetime: float) -> str:
        claims = {"s": msgspec.to_builtins(state), "exp": int(time.time() + lifetime)}
        value = jwt.encode(claims, self.key, algorithm="HS256")
        if len(value) > MAX_COOKIE_BYTES:
            raise ConfigError(
                f"the session is {len(value)} bytes signed, too big for a cookie (browsers keep about "
                f"{MAX_COOKIE_BYTES}); keep less in it, or set session_store to 'database' or 'redis'"
            )
        return value

    async def delete(self, cookie: str) -> None:
        """Nothing kept server-side: the cookie is deleted from the browser only."""

    async def delete_user_sessions(self, user_id: str, keep: str | None = None) -> None:
        """Cookie sessions end through the password fingerprint each one carries."""

    async def close(self) -> None:
        """Nothing to close."""


class Session(MutableMapping[str, Any]):
    """``request.session``: a dict that remembers whether it was read, changed, flushed or rotated."""

    def __init__(self, cookie: str | None = None, state: SessionState | None = None) -> None:
        now = time.time()
        self.cookie = cookie
        self.state = state if state is not None else SessionState({}, None, now, now)
        self.accessed = False
        self.modified = False
        # The id the browser sent, to delete once the session is rotated or flushed.
        self.stale_cookie: str | None = None
        self.flushed = False

    @property
    def data(self) -> dict[str, Any]:
        self.accessed = True
        return self.state.data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.modified = True

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self.modified = True

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def clear(self) -> None:
        if self.state.data:
            self.state.data.clear()
            self.modified = True

    @property
    def is_new(self) -> bool:
        return self.cookie is None

    @property
    def user_id(self) -> str | None:
        return self.state.user_id

    def rotate(self) -> None:
        """Keep the data under a new id; the old id ends server-side when the response goes out."""
        if self.cookie is not None:
            self.stale_cookie = self.stale_cookie or self.cookie
            self.cookie = None
        self.modified = True

    def flush(self) -> None:
        """Forget everything and end the session server-side."""
        self.rotate()
        now = time.time()
        self.state = SessionState({}, None, now, now)
        self.accessed = True
        self.flushed = True

    def __repr__(self) -> str:
        return f"<Session {'new' if self.cookie is None else 'loaded'} keys={sorted(self.state.data)}>"
