"""Login throttling: failed logins counted per account and address, and per address.

After ``login_throttle_attempts`` failures for one account from one address
(or ``login_throttle_ip_attempts`` from one address, whatever the accounts)
within ``login_throttle_window`` seconds, further logins get 429 with
``Retry-After`` until the window ends, before any password is hashed. A
success clears the account's count. Counters live where the sessions do:
Redis when it is configured, else the app's database, so every worker sees
the same counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Any, Protocol

from ..db import F, IntegrityError
from .exceptions import TooManyAttempts

__all__ = ["DatabaseCounter", "RedisCounter", "Throttle"]


class Counter(Protocol):
    async def get(self, key: str) -> tuple[int, float]:
        """``(count, seconds until the count resets)``."""
        ...

    async def hit(self, key: str, window: float) -> None: ...

    async def reset(self, key: str) -> None: ...


class DatabaseCounter:
    """Counts in the ``auth_throttle`` table."""

    async def get(self, key: str) -> tuple[int, float]:
        from .models import ThrottleRecord

        record = await ThrottleRecord.objects.filter(key=key).afirst()
        if record is None:
            return 0, 0.0
        left = record.reset_at.timestamp() - time.time()
        return (record.count, left) if left > 0 else (0, 0.0)

    async def hit(self, key: str, window: float) -> None:
        from .models import ThrottleRecord

        now = dt.datetime.now(dt.UTC)
        live = ThrottleRecord.objects.filter(key=key, reset_at__gt=now)
        if await live.aupdate(count=F("count") + 1):
            return
        values = {"count": 1, "reset_at": now + dt.timedelta(seconds=window)}
        # Either the row is missing or its window is over; two workers may race to make it.
        if await ThrottleRecord.objects.filter(key=key).aupdate(**values):
            return
        try:
            await ThrottleRecord.objects.acreate(key=key, **values)
        except IntegrityError:
            await live.aupdate(count=F("count") + 1)

    async def reset(self, key: str) -> None:
        from .models import ThrottleRecord

        await ThrottleRecord.objects.filter(key=key).adelete()


class RedisCounter:
    def __init__(self, connections: Any, prefix: str = "vivace:") -> None:
        self.connections = connections
        self.prefix = prefix

    @property
    def client(self) -> Any:
        return self.connections.get()

    async def get(self, key: str) -> tuple[int, float]:
        name = f"{self.prefix}throttle:{key}"
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.get(name)
            pipe.pttl(name)
            raw, ttl = await pipe.execute()
        if raw is None or ttl is None or ttl <= 0:
            return 0, 0.0
        return int(raw), ttl / 1000

    async def hit(self, key: str, window: float) -> None:
        name = f"{self.prefix}throttle:{key}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, int(window * 1000), nx=True)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await self.client.delete(f"{self.prefix}throttle:{key}")


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class Throttle:
    """The two limits of the settings over a counter."""

    def __init__(self, counter: Counter, settings: Any) -> None:
        self.counter = counter
        self.per_account = settings.login_throttle_attempts
        self.per_address = settings.login_throttle_ip_attempts
        self.window = settings.login_throttle_window

    def keys(self, identifier: str, address: str) -> tuple[str, str]:
        return _key("account", identifier.strip().lower(), address), _key("address", address)

    async def check(self, identifier: str, address: str) -> None:
        """Raise ``TooManyAttempts`` when either limit is reached."""
        account_key, address_key = self.keys(identifier, address)
        for key, limit in ((account_key, self.per_account), (address_key, self.per_address)):
            if not limit:
                continue
            count, left = await self.counter.get(key)
            if count >= limit:
                raise TooManyAttempts(left)

    async def failed(self, identifier: str, address: str) -> None:
        for key in self.keys(identifier, address):
            await self.counter.hit(key, self.window)

    async def succeeded(self, identifier: str, address: str) -> None:
        await self.counter.reset(self.keys(identifier, address)[0])
