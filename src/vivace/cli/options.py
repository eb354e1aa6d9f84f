"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

app_option = click.option(
    "--app",
    "target",
    metavar="MODULE:ATTR",
    help="The app to use, e.g. mysite.app:app or app.py. "
    "Default: $VIVACE_APP, else app.py, main.py or asgi.py in the current folder.",
)

host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="The interface to listen on."
)

port_option = click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The port to listen on.",
)
