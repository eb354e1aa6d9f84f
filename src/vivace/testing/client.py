"""``TestClient``: drive an app in-process with an httpx-style sync API.

The app runs on an event loop in a background thread, with its lifespan
started on first use and stopped by ``close()`` (or leaving the ``with``
block). Cookies persist between requests, as in a browser.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import unquote

from ..core.exceptions import MissingDependency
from ..core.types import ASGIApp, Message

try:
    import httpx
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("httpx", "testing") from exc

T = TypeVar("T")


class _LoopThread:
    """An event loop running in a daemon thread; coroutines are submitted to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="vivace-testclient", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class _Lifespan:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await self.app(scope, self.inbox.get, self.outbox.put)

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())
        await self.inbox.put({"type": "lifespan.startup"})
        message = await self.outbox.get()
        if message["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"app start-up failed: {message.get('message')}")

    async def stop(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        message = await self.outbox.get()
        if self.task is not None:
            await self.task
        if message["type"] == "lifespan.shutdown.failed":
            raise RuntimeError(f"app shut-down failed: {message.get('message')}")


class _ASGITransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp, runner: TestClient, client_addr: tuple[str, int]) -> None:
        self.app = app
        self.runner = runner
        self.client_addr = client_addr

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.runner._ensure_started()
        body = request.read()
        status, headers, content = self.runner._loop.run(self._call(request, body), timeout=60)
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def _call(
        self, request: httpx.Request, body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        url = request.url
        raw_path = url.raw_path.split(b"?", 1)[0]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "root_path": "",
            "query_string": url.query,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self.client_addr,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "state": {},
        }
        sent_body = False
        response: dict[str, Any] = {"status": None, "headers": [], "body": []}
        done = asyncio.Event()

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        done.set()
        if response["status"] is None:
            raise RuntimeError("the app returned without sending a response")
        return response["status"], response["headers"], b"".join(response["body"])


class TestClient(httpx.Client):
    """A requests/httpx-style client for an ASGI app, in the same process."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        *,
        client: tuple[str, int] = ("127.0.0.1", 50000),
        **kwargs: Any,
    ) -> None:
        self.app = app
        self._loop = _LoopThread()
        self._lifespan: _Lifespan | None = None
        self._lock = threading.Lock()
        transport = _ASGITransport(app, self, client)
        kwargs.setdefault("follow_redirects", False)
        super().__init__(base_url=base_url, transport=transport, **kwargs)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._lifespan is None:
                lifespan = _Lifespan(self.app)
                self._loop.run(lifespan.start(), timeout=60)
                self._lifespan = lifespan

    def __enter__(self) -> TestClient:
        self._ensure_started()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._lifespan is not None:
            lifespan, self._lifespan = self._lifespan, None
            self._loop.run(lifespan.stop(), timeout=60)
        if self._loop.thread.is_alive():
            self._loop.stop()
        super().close()
