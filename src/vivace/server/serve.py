"""Run the server: what ``vivace run`` and ``App.run()`` call."""

from __future__ import annotations

import uvicorn

from vivace.core.types import ASGIApp

from .config import HttpImplementation, uvicorn_options
from .limits import DEFAULT_LIMITS, ServerLimits


def serve(
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
) -> None:
    """Run uvicorn with vivace's hardened protocols until interrupted (blocking).

    ``target`` is an ASGI app, or an import string ``"module:attr"``, which
    uvicorn needs for ``workers > 1`` and ``reload``. ``access_log`` writes a
    line per response at INFO (uvicorn's default); ``vivace run`` turns it off
    in production.
    """
    # uvicorn.run rather than Server(make_config(...)): it owns the choice
    # between one process, a worker pool and the reloader, whose signatures
    # change between uvicorn releases. The options are the same ones
    # make_config uses.
    uvicorn.run(
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
