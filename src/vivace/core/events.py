"""A tiny synchronous event bus: batteries announce, other batteries listen.

The data layer emits ``"db.query"`` for each statement; the monitor subscribes.
Neither imports the other. Emitters check ``has_listeners`` first so an event
nobody listens to costs one dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[..., None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def subscribe(self, event: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener(**payload)`` on each ``event``; returns a function that unsubscribes."""
        self._listeners.setdefault(event, []).append(listener)

        def unsubscribe() -> None:
            listeners = self._listeners.get(event, [])
            if listener in listeners:
                listeners.remove(listener)

        return unsubscribe

    def has_listeners(self, event: str) -> bool:
        return bool(self._listeners.get(event))

    def listeners(self, event: str) -> list[Listener]:
        """The live list of ``event``'s listeners, for emitters that call them directly."""
        return self._listeners.setdefault(event, [])

    def emit(self, event: str, **payload: Any) -> None:
        for listener in self._listeners.get(event, ()):
            listener(**payload)
