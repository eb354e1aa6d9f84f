"""``vivace run``: serve the app, in development or in production.

Development (the default) reloads on code changes, turns ``debug`` on and
logs a line per response. ``--workers N`` with N > 1 is production: several
processes, no reloading, ``debug`` off unless ``--debug`` asks for it, and no
access log unless ``--access-log`` asks for it: gunicorn's default, since a
line per response costs about as much as serving a small one and a proxy in
front usually logs the same requests. The app is handed to the server
as an import string (``module:attr``) so that reloading and workers can
import it again in their own processes.
"""

from __future__ import annotations

import errno
import os
import socket

import click

from ..core.app import server_limits
from .discovery import FoundApp, find_app
from .options import app_option, host_option, port_option

__all__ = ["run_command", "serve_found"]

DEBUG_VAR = "VIVACE_DEBUG"


@click.command("run")
@app_option
@host_option
@port_option
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when the code changes. Default: on, off with --workers above 1.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes; more than 1 means production.",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    help="Debug mode (tracebacks in error pages). Default: on, off with --workers above 1; "
    f"${DEBUG_VAR} decides when set.",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="A line per response, at INFO. Default: on, off with --workers above 1 "
    "(as gunicorn; a proxy in front usually logs the same requests).",
)
def run_command(
    target: str | None,
    host: str,
    port: int,
    reload: bool | None,
    workers: int,
    debug: bool | None,
    access_log: bool | None,
) -> None:
    """Serve the app.

    Development by default: reloading on code changes, debug on, a log line per
    response. With --workers above 1, production: no reloading, debug only with
    --debug, no access log unless --access-log.
    """
    production = workers > 1
    if reload and production:
        raise click.BadOptionUsage(
            "reload",
            f"--reload cannot be combined with --workers {workers}: reloading runs one process. "
            "Drop --reload for production, or --workers for development.",
        )
    if reload is None:
        reload = not production
    if debug is not None:
        os.environ[DEBUG_VAR] = "1" if debug else "0"
    elif not production:
        os.environ.setdefault(DEBUG_VAR, "1")
    found = find_app(target)
    serve_found(found, host=host, port=port, reload=reload, workers=workers, access_log=access_log)


def serve_found(
    found: FoundApp,
    *,
    host: str,
    port: int,
    reload: bool,
    workers: int = 1,
    access_log: bool | None = None,
) -> None:
    """Serve ``found`` with the server limits of its settings, after a clear start-up line.

    ``access_log=None`` logs responses in development (one process) only.
    """
    from ..server import serve

    check_port(host, port)
    app = found.app
    mode = ["debug on" if app.debug else "debug off"]
    if reload:
        mode.append("reloading on changes")
    if workers > 1:
        mode.append(f"{workers} workers")
    if access_log is None:
        access_log = workers == 1
    if not access_log:
        mode.append("no access log")
    click.echo(f" * vivace serving {found.import_string} ({', '.join(mode)})")
    click.echo(f" * Open {browser_url(host, port)}  (Ctrl+C to stop)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(" * Other machines must use a host name listed in the allowed_hosts setting")
    serve(
        found.import_string,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        limits=server_limits(app.settings),
        reload_dirs=[str(found.app_dir)] if reload else None,
        access_log=access_log,
    )


def browser_url(host: str, port: int) -> str:
    """The URL to open for a server listening on ``host``."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def check_port(host: str, port: int) -> None:
    """Fail early, naming the option, when ``host:port`` cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.BadParameter(f"cannot resolve {host!r}: {exc.strerror}", param_hint="'--host'") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.BadParameter(
                    f"port {port} is in use on {host}; pick another with --port",
                    param_hint="'--port'",
                ) from None
            if exc.errno == errno.EACCES:
                raise click.BadParameter(
                    f"no permission to listen on port {port}; use a port above 1023",
                    param_hint="'--port'",
                ) from None
            raise click.BadParameter(
                f"cannot listen on {host}:{port} ({exc.strerror})", param_hint="'--host'"
            ) from None
