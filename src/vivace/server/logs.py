"""Logging set-up for the server: uvicorn's, with request data made inert, and a cheaper access line.

uvicorn's access line percent-quotes the path, but the query string and the
client address go out as received, and the client address can come from an
``X-Forwarded-For`` header (trusted from 127.0.0.1 by default). A value such as
``\\x9b31m`` (a C1 escape) then reaches the terminal or log file raw. The
filter below rewrites control characters in every argument of every record
from the server's loggers, so no line can carry terminal escapes or forged
line breaks, whatever the handler.

An access line is written per response, so its cost counts: the filter only
rebuilds a record whose arguments hold a character that is not printable
(every control character is one), and ``AccessFormatter`` writes uvicorn's
line without copying the record twice.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

# C0 controls, DEL and C1 controls: shown as \xNN.
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access", "uvicorn.asgi", "vivace.server")
_STATUS_TEXT = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def escape_controls(text: str) -> str:
    # Every character _ESCAPES maps is non-printable: a printable text has nothing to escape.
    return text if text.isprintable() else text.translate(_ESCAPES)


class EscapeControlChars(logging.Filter):
    """Escape control characters in the arguments of a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            for arg in args:
                if isinstance(arg, str) and not arg.isprintable():
                    record.args = tuple(_escaped(arg) for arg in args)
                    break
        elif isinstance(args, Mapping):
            record.args = {key: _escaped(value) for key, value in args.items()}
        return True


def emits_access_lines(logger: logging.Logger) -> bool:
    """Whether an access record would reach a handler: uvicorn asks only the first half, and
    otherwise builds the line's arguments (quoting the path) for a logger set above INFO."""
    return logger.hasHandlers() and logger.isEnabledFor(logging.INFO)


def _escaped(value: object) -> object:
    return escape_controls(value) if isinstance(value, str) else value


class AccessFormatter(UvicornAccessFormatter):
    """uvicorn's access line, byte for byte, built from one dict instead of two copies of the record.

    Coloured output (a terminal) is left to uvicorn's formatter: its cost matters
    only where lines go to a file or a pipe, as in production.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        args = record.args
        if self.use_colors or not isinstance(args, tuple) or len(args) != 5:
            return super().formatMessage(record)
        client_addr, method, full_path, http_version, status_code = args
        status = int(status_code)  # type: ignore[call-overload]
        values = dict(record.__dict__)
        values["levelprefix"] = record.levelname + ":" + " " * (8 - len(record.levelname))
        values["client_addr"] = client_addr
        values["request_line"] = f"{method} {full_path} HTTP/{http_version}"
        values["status_code"] = _STATUS_TEXT.get(status) or f"{status} "
        return self._fmt % values  # type: ignore[operator]


def log_config(level: str, *, access_log: bool = True) -> dict[str, Any]:
    """uvicorn's logging config, with the escaping filter on every server logger.

    Without ``access_log`` the access logger has no handler, so uvicorn builds
    no access record at all. A plain dict, so it travels to worker processes
    with the rest of the config.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"escape_controls": {"()": f"{__name__}.EscapeControlChars"}}
    config["formatters"]["access"]["()"] = f"{__name__}.AccessFormatter"
    loggers: dict[str, dict[str, Any]] = config["loggers"]
    loggers["vivace.server"] = {
        "handlers": ["default"],
        "level": LOG_LEVELS[level],
        "propagate": False,
    }
    if not access_log:
        loggers["uvicorn.access"]["handlers"] = []
    for name in SERVER_LOGGERS:
        loggers.setdefault(name, {})["filters"] = ["escape_controls"]
    return config
