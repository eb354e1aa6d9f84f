"""ATTACKS case 5, the log half: request data never puts control characters in a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

from vivace.server.logs import AccessFormatter, EscapeControlChars, emits_access_lines, log_config

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
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s" %d',
        ("1.2.3.4:5", "GET", "/?q=\x1b[31mred\r\nforged", 200),
        None,
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


def test_printable_arguments_are_left_as_they_are() -> None:
    args = ("1.2.3.4:5", "GET", "/caf\u00e9?q=1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s %s %s %d", args, None)
    assert EscapeControlChars().filter(record)
    assert record.args is args  # nothing to escape: the record is not rebuilt


def test_mapping_arguments_are_escaped() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%(path)s", ({"path": "/\x1b[2J"},), None)
    EscapeControlChars().filter(record)
    assert record.getMessage() == "/\\x1b[2J"


@pytest.mark.parametrize("status", [200, 404, 599])
def test_access_line_is_uvicorns(status: int) -> None:
    fmt = LOGGING_CONFIG["formatters"]["access"]["fmt"]
    args = ("1.2.3.4:5", "GET", "/a?b=1", "1.1", status)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )
    ours = AccessFormatter(fmt, use_colors=False).format(record)
    assert ours == UvicornAccessFormatter(fmt, use_colors=False).format(record)
    assert ours.startswith('INFO:     1.2.3.4:5 - "GET /a?b=1 HTTP/1.1" ')


def test_without_access_log_the_access_logger_has_no_handler() -> None:
    assert log_config("info")["loggers"]["uvicorn.access"]["handlers"] == ["access"]
    assert log_config("info", access_log=False)["loggers"]["uvicorn.access"]["handlers"] == []


def test_no_access_record_is_built_above_info() -> None:
    logger = logging.getLogger("vivace.tests.access")
    handler = ListHandler()
    logger.addHandler(handler)
    try:
        logger.setLevel(logging.INFO)
        assert emits_access_lines(logger)
        logger.setLevel(logging.WARNING)
        assert not emits_access_lines(logger)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    logger.propagate = False
    try:
        assert not emits_access_lines(logger)  # no handler anywhere
    finally:
        logger.propagate = True


def test_a_server_without_access_log_gives_the_access_logger_no_handler(
    start_server: Callable[..., Running],
) -> None:
    # What each connection's protocol asks before building an access record.
    server = start_server(log_level="info", access_log=False)
    reply = exchange(server.port, b"GET /quiet HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert reply.status == 200
    assert not emits_access_lines(logging.getLogger("uvicorn.access"))
