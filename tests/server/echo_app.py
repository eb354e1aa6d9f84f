"""A plain ASGI app for the server tests: counts calls, echoes bodies.

- ``/hold?<seconds>`` sleeps that long before reading the body, then answers
  ``held <body size>``;
- any other request answers its method, path and body: ``POST /a`` with body
  ``xy`` gives ``POST /a xy``;
- a WebSocket is accepted and echoes text messages until closed.

Kept free of vivace so the server tests do not depend on the app layer; the
import string ``echo_app:app`` serves it to worker processes.
"""

from __future__ import annotations

import asyncio
from typing import Any

Message = dict[str, Any]


class EchoApp:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        self.calls += 1
        if scope["type"] == "websocket":
            await _websocket_echo(receive, send)
            return
        hold = scope["path"] == "/hold"
        if hold:
            await asyncio.sleep(float(scope["query_string"] or 0))
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if hold:
            answer = b"held %d" % len(body)
        else:
            answer = b"%s %s %s" % (scope["method"].encode(), scope["raw_path"], body)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/plain"),
                    (b"content-length", b"%d" % len(answer)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})


async def _websocket_echo(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text") or ""})
        else:
            return


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


app = EchoApp()
