"""A real server on 127.0.0.1 for the end-to-end tests."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

HERE = Path(__file__).parent


def load_module(name: str, file: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    def __init__(self, app: Any, **limits: Any) -> None:
        from vivace.core.app import server_limits
        from vivace.server import make_config

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = make_config(
            app,
            host="127.0.0.1",
            port=self.port,
            limits=server_limits(app.settings),
            log_level="warning",
            **limits,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def site() -> ModuleType:
    return load_module("e2e_site_app", HERE / "site" / "app.py")


@pytest.fixture(scope="session")
def server(site: ModuleType) -> Iterator[RunningServer]:
    with RunningServer(site.app) as running:
        yield running


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return everything the server answers until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        sock.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                if received:
                    break
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
        return received
