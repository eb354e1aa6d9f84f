"""The header and body deadlines of one connection, and the answers it closes with.

Both protocol classes report the same few moments (a head starts, a head is
complete, a piece of body arrives, a message ends); this object turns them
into deadlines and decides what a passed deadline or a refused request writes
before the connection closes.

The body deadline is pushed back by progress, not by any byte: each further
``BODY_PROGRESS`` bytes must arrive within ``body_timeout``. A plain idle timer
would let a client sending one byte a second hold a request open for ever.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.server import ServerState

from .limits import ServerLimits
from .rejection import Rejected, render
from .timers import Deadline

logger = logging.getLogger("vivace.server")

# 1 KiB per body_timeout (30 s by default) is about 34 bytes/s: any real client
# is far faster, a slow-body attack is slower.
BODY_PROGRESS = 1024


class Cycle(Protocol):
    """What is read and set on uvicorn's per-request ``RequestResponseCycle``."""

    response_started: bool
    response_complete: bool
    waiting_for_100_continue: bool
    keep_alive: bool
    disconnected: bool
    message_event: asyncio.Event


class Guarded(Protocol):
    """What the guard needs from the uvicorn protocol it watches."""

    @property
    def transport(self) -> asyncio.Transport: ...
    @property
    def flow(self) -> FlowControl: ...
    @property
    def cycle(self) -> Cycle | None: ...
    @property
    def server_state(self) -> ServerState: ...
    @property
    def client(self) -> tuple[str, int] | None: ...
    @property
    def timeout_keep_alive_task(self) -> asyncio.TimerHandle | None: ...

    def head_bytes_pending(self) -> bool:
        """Whether part of a request head has been received and not parsed yet."""

    def cycle_is_queued(self) -> bool:
        """Whether ``cycle`` waits behind an earlier pipelined response."""


class ConnectionGuard:
    def __init__(self, conn: Guarded, limits: ServerLimits, loop: asyncio.AbstractEventLoop) -> None:
        self._conn = conn
        self._head = Deadline(loop, limits.header_timeout, self._head_expired)
        self._body = Deadline(loop, limits.body_timeout, self._body_expired)
        self._in_body = False
        self._progress = 0
        self.refused = False

    # Moments reported by the protocol.

    def head_started(self) -> None:
        """Bytes of a request head are here, or the connection just opened."""
        self._head.start()

    def head_complete(self) -> None:
        self._head.stop()
        self._in_body = True
        self._progress = 0
        self._body.start()

    def body_received(self, size: int) -> None:
        self._progress += size
        if self._progress >= BODY_PROGRESS:
            self._progress = 0
            self._body.touch()

    def message_complete(self) -> None:
        self._in_body = False
        self._body.stop()
        cycle = self._conn.cycle
        if cycle is not None and cycle.response_complete:
            # The response went out before the body ended. uvicorn armed its
            # keep-alive timer then, and cancelled it when the rest of the body
            # arrived: without a deadline here the idle connection would stay.
            self._head.start()

    def stop(self) -> None:
        """The connection is gone or handed over (WebSocket): no more deadlines."""
        self._head.cancel()
        self._body.cancel()

    # Answers.

    def reject(self, rejected: Rejected) -> None:
        """Refuse what the parser has just read: answer and close.

        The protocol drops every later byte once ``refused`` is set.
        """
        if self.refused or self._conn.transport.is_closing():
            return
        self.refused = True
        logger.warning("%s - refused: %d %s", _peer(self._conn), rejected.status, rejected.reason)
        cycle = self._conn.cycle
        if self._in_body and cycle is not None:
            # The body of the request the app is handling is malformed.
            self._abort(cycle, rejected)
        elif cycle is not None and not cycle.response_complete:
            # The next pipelined head is bad while the last response is still
            # being written: let that finish, then close rather than reuse.
            cycle.keep_alive = False
        else:
            self._close(rejected)

    def _abort(self, cycle: Cycle, answer: Rejected) -> None:
        """Stop the request being handled; answer if nothing was written for it yet."""
        if cycle.response_started or self._conn.cycle_is_queued():
            self._close(None)
            return
        # The app may be waiting in receive(): it gets http.disconnect, and what
        # it sends later is dropped instead of following our answer.
        cycle.disconnected = True
        cycle.message_event.set()
        self._close(answer)

    def _close(self, answer: Rejected | None) -> None:
        self.stop()
        if answer is not None:
            self._conn.transport.write(render(answer, self._conn.server_state.default_headers))
        self._conn.transport.close()

    def _head_expired(self) -> None:
        conn = self._conn
        cycle = conn.cycle
        if conn.transport.is_closing():
            return
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False
        elif conn.head_bytes_pending():
            self.reject(Rejected(408, "request head not received in time"))
        elif conn.timeout_keep_alive_task is None:
            # Idle and no keep-alive timer will close it (a fresh connection
            # that never sent a byte): nothing to answer, just close.
            logger.info("%s - closed: idle connection", _peer(conn))
            self._close(None)

    def _body_expired(self) -> None:
        conn = self._conn
        cycle = conn.cycle
        if conn.transport.is_closing() or cycle is None:
            return
        if conn.flow.read_paused or cycle.waiting_for_100_continue:
            # The server, not the client, holds the body back: the app has not
            # read what came, or not asked for it yet (Expect: 100-continue).
            self._body.start()
            return
        self.refused = True
        logger.warning("%s - closed: request body not received in time", _peer(conn))
        self._abort(cycle, Rejected(408, "request body not received in time"))


def check_capacity(limit: int | None, state: ServerState) -> None:
    """uvicorn's ``limit_concurrency`` test, run before uvicorn's own so that the
    503 carries ``Retry-After`` and the app is never called."""
    if limit is not None and (len(state.connections) >= limit or len(state.tasks) >= limit):
        raise Rejected(503, "server at capacity, retry shortly", [(b"retry-after", b"1")])


def _peer(conn: Guarded) -> str:
    client = conn.client
    return f"{client[0]}:{client[1]}" if client else "unknown client"
