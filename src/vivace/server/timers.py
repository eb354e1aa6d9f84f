"""A deadline on the event loop that costs no timer call per request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Deadline:
    """Calls ``expired`` once ``seconds`` pass after ``start()``, unless ``stop()``
    comes first; ``touch()`` counts the full time again from now.

    ``start``, ``touch`` and ``stop`` only record state; the one loop timer
    checks it when it fires and re-arms for the time left. A connection serving
    many quick requests so starts and stops its deadlines without scheduling or
    cancelling a timer each time. ``cancel()`` drops the timer for good.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float, expired: Callable[[], None]) -> None:
        self._loop = loop
        self._seconds = seconds
        self._expired = expired
        self._handle: asyncio.TimerHandle | None = None
        self._active = False
        self._since = 0.0

    @property
    def running(self) -> bool:
        return self._active

    def start(self) -> None:
        """Start counting now, unless already counting."""
        if self._active:
            return
        self._active = True
        self._since = self._loop.time()
        if self._handle is None:
            self._handle = self._loop.call_at(self._since + self._seconds, self._fire)

    def touch(self) -> None:
        self._since = self._loop.time()

    def stop(self) -> None:
        self._active = False

    def cancel(self) -> None:
        self._active = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        if not self._active:
            return
        due = self._since + self._seconds
        if due > self._loop.time():
            self._handle = self._loop.call_at(due, self._fire)
            return
        self._active = False
        self._expired()
