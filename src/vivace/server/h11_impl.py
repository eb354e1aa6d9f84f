"""uvicorn's h11 protocol with header caps, deadlines and framing checks.

uvicorn's h11 protocol has no parser callbacks to override: it loops over
``self.conn.next_event()``. So the checks live in ``LimitedConnection``, an
``h11.Connection`` whose ``next_event`` looks at the raw head before h11 parses
it and at each event after; a failed check surfaces as the
``RemoteProtocolError`` uvicorn already handles by calling ``send_400_response``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http import h11_impl
from uvicorn.server import ServerState

from .guard import ConnectionGuard, check_capacity
from .head import check_head, check_raw_head, head_size
from .limits import DEFAULT_LIMITS, ServerLimits
from .logs import emits_access_lines
from .rejection import Rejected

# The longest head terminator h11 accepts ("\r\n\r\n") past the size limit.
_TERMINATOR = 4


class LimitedConnection(h11.Connection):
    """An h11 server connection that refuses what ``head.py`` refuses.

    ``watch`` sees every event before uvicorn does and may raise ``Rejected``.
    Its incomplete-event cap is ``max_header_size`` (uvicorn's
    ``h11_max_incomplete_event_size`` option is not used).
    """

    def __init__(self, limits: ServerLimits, watch: Callable[[h11.Event], None]) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=limits.max_header_size)
        self.rejection: Rejected | None = None
        self._limit = limits.max_header_size
        self._watch = watch

    def next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        try:
            if self.their_state is h11.IDLE:
                check_raw_head(self.peek(self._limit + _TERMINATOR), self._limit)
            event = super().next_event()
            if isinstance(event, h11.Event):
                self._watch(event)
        except Rejected as rejected:
            self.rejection = rejected
            raise h11.RemoteProtocolError(rejected.reason, rejected.status) from None
        except h11.RemoteProtocolError as error:
            # h11's message may quote the request: answer with a fixed text. Its
            # status hints other than 431 (such as 501 for an unknown
            # Transfer-Encoding) become 400, as httptools answers them.
            if error.error_status_hint == 431:
                self.rejection = Rejected(431, f"header section larger than {self._limit} bytes")
            else:
                self.rejection = Rejected(400, "malformed request")
            raise
        return event

    def peek(self, size: int) -> bytes:
        """The first ``size`` bytes h11 holds but has not parsed."""
        # The public trailing_data copies the whole buffer, which a client can
        # make large by pipelining; read h11's ReceiveBuffer directly if it is
        # the one known (h11 0.12 and later), else fall back to the copy.
        data = getattr(getattr(self, "_receive_buffer", None), "_data", None)
        if isinstance(data, bytearray):
            return bytes(data[:size])
        return self.trailing_data[0][:size]

    @property
    def has_unparsed(self) -> bool:
        return bool(self.peek(1))


class H11Protocol(h11_impl.H11Protocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ServerLimits | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.access_log = emits_access_lines(self.access_logger)
        self.limits = limits or DEFAULT_LIMITS
        self.guard = ConnectionGuard(self, self.limits, self.loop)
        self.limited = LimitedConnection(self.limits, self._watch)
        self.conn = self.limited

    # What the guard asks.

    def head_bytes_pending(self) -> bool:
        return self.conn.their_state is h11.IDLE and self.limited.has_unparsed

    def cycle_is_queued(self) -> bool:
        return False  # uvicorn's h11 protocol parses a request only when the last is answered

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # uvicorn has no timer on a fresh connection: one that never sends
        # anything would stay open for good.
        self.guard.head_started()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.guard.refused:
            return  # the connection is closing: parse nothing more
        super().data_received(data)
        self._note_partial_head()

    # uvicorn hooks

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may parse a pipelined request already buffered
        self._note_partial_head()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to every RemoteProtocolError; ours carries the status
        # the failed check chose (431, 505, 503 ...).
        self.guard.reject(self.limited.rejection or Rejected(400, "malformed request"))

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self.guard.stop()  # the WebSocket protocol takes the transport over
        super().handle_websocket_upgrade(event)

    def _watch(self, event: h11.Event) -> None:
        if isinstance(event, h11.Request):
            headers = list(event.headers)  # h11 gives lower-case names
            size = head_size(event.method, event.target, headers)
            check_head(event.http_version.decode("ascii"), headers, size, self.limits)
            check_capacity(self.limit_concurrency, self.server_state)
            self.guard.head_complete()
        elif isinstance(event, h11.Data):
            self.guard.body_received(len(event.data))
        elif isinstance(event, h11.EndOfMessage):
            self.guard.message_complete()

    def _note_partial_head(self) -> None:
        if not self.guard.refused and self.head_bytes_pending():
            # Part of a head is here: the connection is not idle, so the head
            # deadline governs, not keep-alive.
            self._unset_keepalive_if_required()
            self.guard.head_started()
