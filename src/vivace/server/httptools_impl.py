"""uvicorn's httptools protocol with header caps, deadlines and framing checks.

httptools (llhttp) already refuses most smuggling shapes, but it keeps a head of
any size in memory and has no notion of time. The overrides below only observe
the parser callbacks and then defer to uvicorn; checks that fail raise
``Rejected`` inside a callback, which httptools turns into a parser error, which
uvicorn turns into a call to ``send_400_response``, answered here with the
status the check chose.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http import httptools_impl
from uvicorn.server import ServerState

from .guard import ConnectionGuard, check_capacity
from .head import check_head, head_size
from .limits import DEFAULT_LIMITS, ServerLimits
from .logs import emits_access_lines
from .rejection import Rejected

# Where a connection is in its request; module constants, as an Enum member costs ~70 ns
# per lookup and the phase is read several times per request.
_HEAD = "reading a request head"
_BODY = "reading a request body"
_IDLE = "between requests"


class HttpToolsProtocol(httptools_impl.HttpToolsProtocol):
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
        self._rejection: Rejected | None = None
        self._phase = _HEAD
        self._head_seen = False  # any byte of the current head received yet
        self._head_bytes = 0  # bytes fed while the current head was unfinished
        self._heads_done = 0

    # What the guard asks.

    def head_bytes_pending(self) -> bool:
        return self._phase is _HEAD and self._head_seen

    def cycle_is_queued(self) -> bool:
        return bool(self.pipeline)

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
        if self._phase is _IDLE:
            self._begin_head()
        unfinished_head, heads_done = self._phase is _HEAD, self._heads_done
        self._head_seen = self._head_seen or unfinished_head
        super().data_received(data)
        if unfinished_head and heads_done == self._heads_done and not self.guard.refused:
            # No head was completed in this chunk, so all of it was head bytes,
            # which httptools accumulates without limit: cap them here.
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_size:
                size = self.limits.max_header_size
                self.guard.reject(Rejected(431, f"header section larger than {size} bytes"))

    # Parser callbacks

    def on_message_begin(self) -> None:
        if self._phase is not _HEAD:
            self._begin_head()  # a pipelined head starting in mid-chunk
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._heads_done += 1
        self._phase = _BODY
        self._head_seen = False
        parser, headers = self.parser, self.headers
        try:
            size = head_size(parser.get_method(), self.url, headers)
            # llhttp refuses every control character but HTAB in a value itself.
            check_head(parser.get_http_version(), headers, size, self.limits, scan_values=False)
            if self.limit_concurrency is not None:
                check_capacity(self.limit_concurrency, self.server_state)
        except Rejected as rejected:
            self._rejection = rejected
            raise
        self.guard.head_complete()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self.guard.body_received(len(body))

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._phase = _IDLE
        self.guard.message_complete()

    # uvicorn hooks

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._head_seen and self._phase is _HEAD and not self.guard.refused:
            # Part of the next head came with the last request: the connection
            # is not idle, so the head deadline governs, not keep-alive.
            self._unset_keepalive_if_required()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to every parser error; ours carries the status the
        # failed check chose (431, 505, 503 ...) and waits for a pipelined
        # response still being written instead of cutting into it.
        self.guard.reject(self._rejection or Rejected(400, "malformed request"))

    def handle_websocket_upgrade(self) -> None:
        self.guard.stop()  # the WebSocket protocol takes the transport over
        super().handle_websocket_upgrade()

    def _begin_head(self) -> None:
        self._phase = _HEAD
        self._head_seen = True
        self._head_bytes = 0
        self.guard.head_started()
