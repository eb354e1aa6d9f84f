"""A real vivace server on 127.0.0.1, run in a thread around ``EchoApp``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from vivace.server import ServerLimits, make_config

from .echo_app import EchoApp
from .wire import HOST

HTTP_IMPLEMENTATIONS = ["httptools", "h11"]

# Small enough that every case finishes in about a second.
SMALL_LIMITS: dict[str, Any] = {
    "max_header_size": 8 * 1024,
    "max_header_count": 50,
    "header_timeout": 1.0,
    "body_timeout": 1.0,
    "keepalive_timeout": 1.0,
}


@dataclass
class Running:
    port: int
    app: EchoApp
    limits: ServerLimits
    http: str
    server: uvicorn.Server


@contextmanager
def running_server(
    http: str, limits: ServerLimits, log_level: str = "warning", access_log: bool = True
) -> Iterator[Running]:
    """Serve a fresh ``EchoApp`` until the block ends; the port is picked by the OS."""
    app = EchoApp()
    config = make_config(
        app,
        limits=limits,
        http=http,  # type: ignore[arg-type]
        log_level=log_level,
        access_log=access_log,
    )
    server = uvicorn.Server(config)
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        port = listener.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 5
            while not server.started:
                assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
                time.sleep(0.01)
            yield Running(port, app, limits, http, server)
        finally:
            server.should_exit = True
            thread.join(10)
    assert not thread.is_alive(), "server did not stop"
