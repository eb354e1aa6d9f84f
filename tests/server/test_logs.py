"""ATTACKS case 5, the log half: request data never puts control characters in a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vivace.server.logs import EscapeControlChars, log_config

from .servers import Running
from .wire import exchange


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def access_lines() -> Iterator[list[str]]:
    """Lines logged to uvicorn.access; enter after the server has set up logging."""
    handler = ListHandler()
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_filter_escapes_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s" %d',
        ("1.2.3.4:5", "GET", "/?q=\x1b[31mred\r\nforged", 200), None,
    )
    assert EscapeControlChars().filter(record)
    message = record.getMessage()
    assert message == '1.2.3.4:5 - "GET /?q=\\x1b[31mred\\x0d\\x0aforged" 200'


def test_c1_controls_and_del_are_escaped_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("a\x9bb\x7fc",), None)
    EscapeControlChars().filter(record)
    assert record.getMessage() == "a\\x9bb\\x7fc"


def test_server_loggers_carry_the_filter() -> None:
    config = log_config("info")
    for name in ("uvicorn.access", "uvicorn.error", "vivace.server"):
        assert config["loggers"][name]["filters"] == ["escape_controls"]


def test_forwarded_client_address_is_escaped_in_the_access_log(
    start_server: Callable[..., Running],
) -> None:
    server = start_server(log_level="info")
    with access_lines() as lines:
        # From 127.0.0.1, uvicorn trusts X-Forwarded-For and logs it as the client.
        reply = exchange(
            server.port,
            b"GET /p%0d%0aX HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \x9b[31mevil\r\n"
            b"Connection: close\r\n\r\n",
        )
    assert reply.status == 200
    assert len(lines) == 1
    line = lines[0]
    assert "\\x9b[31mevil" in line
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in line)
    assert "%0D%0A" in line
