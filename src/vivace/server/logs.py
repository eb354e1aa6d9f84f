"""Logging set-up for the server: uvicorn's, with request data made inert.

uvicorn's access line percent-quotes the path, but the query string and the
client address go out as received, and the client address can come from an
``X-Forwarded-For`` header (trusted from 127.0.0.1 by default). A value such as
``\\x9b31m`` (a C1 escape) then reaches the terminal or log file raw. The
filter below rewrites control characters in every argument of every record
from the server's loggers, so no line can carry terminal escapes or forged
line breaks, whatever the handler.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG

# C0 controls, DEL and C1 controls: shown as \xNN.
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access", "uvicorn.asgi", "vivace.server")


def escape_controls(text: str) -> str:
    return text.translate(_ESCAPES)


class EscapeControlChars(logging.Filter):
    """Escape control characters in the arguments of a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_escaped(arg) for arg in args)
        elif isinstance(args, Mapping):
            record.args = {key: _escaped(value) for key, value in args.items()}
        return True


def _escaped(value: object) -> object:
    return escape_controls(value) if isinstance(value, str) else value


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config, with the escaping filter on every server logger.

    A plain dict, so it travels to worker processes with the rest of the config.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"escape_controls": {"()": f"{__name__}.EscapeControlChars"}}
    loggers: dict[str, dict[str, Any]] = config["loggers"]
    loggers["vivace.server"] = {
        "handlers": ["default"],
        "level": LOG_LEVELS[level],
        "propagate": False,
    }
    for name in SERVER_LOGGERS:
        loggers.setdefault(name, {})["filters"] = ["escape_controls"]
    return config
