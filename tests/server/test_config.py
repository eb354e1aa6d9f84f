"""ServerLimits, make_config and the way limits reach worker processes."""

from __future__ import annotations

import functools
import os
import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vivace.core.exceptions import ConfigError
from vivace.server import ServerLimits, make_config
from vivace.server.h11_impl import H11Protocol
from vivace.server.httptools_impl import HttpToolsProtocol

from .echo_app import app
from .wire import HOST, exchange, get


@pytest.mark.parametrize(
    "bad",
    [
        {"max_header_size": 0},
        {"max_header_count": -1},
        {"max_header_size": 1.5},
        {"header_timeout": 0},
        {"body_timeout": "30"},
        {"keepalive_timeout": True},
        {"limit_concurrency": 0},
    ],
)
def test_bad_limits_name_the_field(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=f"ServerLimits.{next(iter(bad))}"):
        ServerLimits(**bad)  # type: ignore[arg-type]


def test_limits_reach_the_protocol_through_the_config() -> None:
    limits = ServerLimits(max_header_count=7, keepalive_timeout=2.5, limit_concurrency=9)
    config = make_config(app, limits=limits, http="h11")  # type: ignore[arg-type]
    assert isinstance(config.http, functools.partial)
    assert config.http.func is H11Protocol
    assert config.http.keywords == {"limits": limits}
    assert config.timeout_keep_alive == 2.5
    assert config.limit_concurrency == 9


def test_config_survives_pickling_into_a_worker() -> None:
    limits = ServerLimits(max_header_size=1234)
    config = make_config("echo_app:app", workers=2, limits=limits)
    copy = pickle.loads(pickle.dumps(config))
    assert copy.http.func is HttpToolsProtocol
    assert copy.http.keywords["limits"] == limits


def test_workers_and_reload_need_an_import_string() -> None:
    with pytest.raises(ConfigError, match="import string"):
        make_config(app, workers=2)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="import string"):
        make_config(app, reload=True)  # type: ignore[arg-type]


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="http"):
        make_config("echo_app:app", http="zttp")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="log_level"):
        make_config("echo_app:app", log_level="loud")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def test_limits_hold_in_worker_processes() -> None:
    port = _free_port()
    here = Path(__file__).parent
    script = (
        "from vivace.server import ServerLimits, serve\n"
        f"serve('echo_app:app', port={port}, workers=2, log_level='warning',\n"
        "      limits=ServerLimits(max_header_count=3))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), *sys.path])}
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, "server process exited"
            try:
                if get(port, timeout=1).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.1)
        headers = b"".join(b"X-%d: 1\r\n" % i for i in range(5))
        for _ in range(4):  # whichever worker takes it
            reply = exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
            assert reply.status == 431
    finally:
        process.terminate()
        process.wait(15)
