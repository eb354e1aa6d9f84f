"""WebSocket routes over a real connection."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .conftest import RunningServer


def test_echo_with_path_parameter(server: RunningServer) -> None:
    with connect(f"ws://127.0.0.1:{server.port}/ws/ann") as ws:
        ws.send("hello")
        assert ws.recv(timeout=2) == "ann: hello"
        ws.send("again")
        assert ws.recv(timeout=2) == "ann: again"


def test_handler_can_close_with_a_code(server: RunningServer) -> None:
    with connect(f"ws://127.0.0.1:{server.port}/ws/bob") as ws:
        ws.send("close")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000


def test_unknown_websocket_path_is_refused(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{server.port}/nowhere")
    assert refused.value.response.status_code == 403


def test_bad_host_is_refused(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus):
        connect(f"ws://127.0.0.1:{server.port}/ws/x", additional_headers={"Host": "evil.example"})
