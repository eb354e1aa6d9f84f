"""``vivace demo``: serve the demo app that ships with the package."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .discovery import FoundApp
from .options import host_option, port_option
from .run import DEBUG_VAR, serve_found

__all__ = ["demo_command"]

DEMO_MODULE = "vivace.demo.app"


@click.command("demo")
@host_option
@port_option
@click.option("--reload/--no-reload", default=True, help="Restart when the demo's code changes.")
def demo_command(host: str, port: int, reload: bool) -> None:
    """Serve the demo app: a guestbook with templates, a form and JSON.

    Prints the URL to open. Debug is on ($VIVACE_DEBUG decides when set).
    """
    os.environ.setdefault(DEBUG_VAR, "1")
    from ..demo.app import app

    found = FoundApp(app, DEMO_MODULE, "app", Path(app.root))
    serve_found(found, host=host, port=port, reload=reload)
