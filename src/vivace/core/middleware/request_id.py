"""A per-request id, for logs, error pages and the client's bug reports.

Each HTTP request gets an id (``uuid4().hex``), stored as
``scope["state"]["request_id"]`` (the ``state`` dict is created if the server
gave none) and sent back in a response header, ``X-Request-ID`` by default.

With ``trust_incoming=True`` an id already on the request (set by a load
balancer or a calling service) is kept, as long as it is a safe token: 1 to
128 characters of ``A-Z a-z 0-9 . _ -``. Anything else is replaced, so a
client cannot smuggle markup or log-forging text into logs and pages.
"""

from __future__ import annotations

import re
import uuid

from ..exceptions import ConfigError
from ..types import ASGIApp, Message, Receive, Scope, Send

_SAFE_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class RequestIDMiddleware:
    """Give each request an id and echo it in the ``header`` of the response."""

    def __init__(self, app: ASGIApp, *, header: str = "X-Request-ID", trust_incoming: bool = False) -> None:
        if not isinstance(header, str) or not _TOKEN.fullmatch(header):
            raise ConfigError(
                f"RequestIDMiddleware: header={header!r} is invalid; "
                "allowed: an HTTP header name such as 'X-Request-ID'"
            )
        if type(trust_incoming) is not bool:
            raise ConfigError(
                f"RequestIDMiddleware: trust_incoming={trust_incoming!r} is invalid; allowed: True or False"
            )
        self.app = app
        self.header = header
        self.trust_incoming = trust_incoming
        self._name = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._incoming(scope) if self.trust_incoming else None
        if request_id is None:
            request_id = uuid.uuid4().hex
        state = scope.get("state")
        if state is None:
            scope["state"] = state = {}
        state["request_id"] = request_id
        name = self._name
        value = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0] != name]
                headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)

    def _incoming(self, scope: Scope) -> str | None:
        name = self._name
        for key, value in scope["headers"]:
            if key == name:
                return value.decode("ascii") if _SAFE_ID.fullmatch(value) else None
        return None
