"""WebSocket connections handed to websocket routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import msgspec

from .datastructures import Headers, QueryParams
from .types import Receive, Scope, Send

if TYPE_CHECKING:
    from .app import App


class WebSocketDisconnect(Exception):
    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"websocket closed with code {code}")
        self.code = code
        self.reason = reason


class WebSocket:
    """One WebSocket connection: ``accept()``, then send and receive until closed."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: App) -> None:
        self.scope = scope
        self.app = app
        self._receive = receive
        self._send = send
        self.path_params: dict[str, Any] = {}
        self.accepted = False
        self.closed = False

    @property
    def path(self) -> str:
        return self.scope["path"]  # type: ignore[no-any-return]

    @property
    def headers(self) -> Headers:
        return Headers(self.scope["headers"])

    @property
    def query_params(self) -> QueryParams:
        return QueryParams(self.scope.get("query_string", b""))

    async def accept(self, subprotocol: str | None = None) -> None:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            raise WebSocketDisconnect(1006)
        await self._send({"type": "websocket.accept", "subprotocol": subprotocol})
        self.accepted = True

    async def receive(self) -> str | bytes:
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.closed = True
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason") or "")
        text = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    async def receive_text(self) -> str:
        data = await self.receive()
        return data if isinstance(data, str) else data.decode("utf-8")

    async def receive_bytes(self) -> bytes:
        data = await self.receive()
        return data if isinstance(data, bytes) else data.encode("utf-8")

    async def receive_json(self) -> Any:
        return msgspec.json.decode(await self.receive_bytes())

    async def send_text(self, data: str) -> None:
        await self._send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any) -> None:
        await self._send({"type": "websocket.send", "text": msgspec.json.encode(data).decode()})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        try:
            while True:
                yield await self.receive()
        except WebSocketDisconnect:
            return
