"""The uvicorn options vivace runs with, built in one place for ``serve`` and tests."""

from __future__ import annotations

import functools
from typing import Any, Literal, get_args

import uvicorn
from uvicorn.config import LOG_LEVELS

from vivace.core.exceptions import ConfigError
from vivace.core.types import ASGIApp

from .h11_impl import H11Protocol
from .httptools_impl import HttpToolsProtocol
from .limits import DEFAULT_LIMITS, ServerLimits
from .logs import log_config

HttpImplementation = Literal["httptools", "h11"]
_PROTOCOLS: dict[str, type[HttpToolsProtocol | H11Protocol]] = {
    "httptools": HttpToolsProtocol,
    "h11": H11Protocol,
}


def make_config(
    target: str | ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
    limits: ServerLimits = DEFAULT_LIMITS,
    log_level: str = "info",
    http: HttpImplementation = "httptools",
    reload_dirs: list[str] | None = None,
    access_log: bool = True,
) -> uvicorn.Config:
    """A ``uvicorn.Config`` running vivace's protocols with ``limits``."""
    return uvicorn.Config(
        target,
        **uvicorn_options(
            target,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            limits=limits,
            log_level=log_level,
            http=http,
            reload_dirs=reload_dirs,
            access_log=access_log,
        ),
    )


def uvicorn_options(
    target: str | ASGIApp,
    *,
    host: str,
    port: int,
    workers: int,
    reload: bool,
    limits: ServerLimits,
    log_level: str,
    http: HttpImplementation,
    reload_dirs: list[str] | None,
    access_log: bool = True,
) -> dict[str, Any]:
    """Keyword arguments shared by ``uvicorn.Config`` and ``uvicorn.run``."""
    if http not in _PROTOCOLS:
        raise ConfigError(f"http = {http!r} is invalid: give one of {get_args(HttpImplementation)}")
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level = {log_level!r} is invalid: give one of {sorted(LOG_LEVELS)}")
    if workers < 1:
        raise ConfigError(f"workers = {workers!r} is invalid: give a whole number above 0")
    if (workers > 1 or reload) and not isinstance(target, str):
        raise ConfigError(
            "workers and reload start new processes, which import the app by name: "
            "give it as an import string such as 'myproject.main:app'"
        )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "reload": reload,
        # The limits ride on the protocol factory: uvicorn pickles the config,
        # factory included, into every worker and reloaded process, so they
        # arrive there with no global state or environment variable. uvicorn
        # only calls ``http`` to build each connection's protocol, so a partial
        # of the class works where a class is expected.
        "http": functools.partial(_PROTOCOLS[http], limits=limits),
        # uvicorn types it int but hands it to loop.call_later as is.
        "timeout_keep_alive": limits.keepalive_timeout,
        "limit_concurrency": limits.limit_concurrency,
        "log_level": log_level,
        "log_config": log_config(log_level, access_log=access_log),
        "access_log": access_log,
    }
    if reload:
        options["reload_dirs"] = reload_dirs
    return options
