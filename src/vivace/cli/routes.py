"""``vivace routes``: every route of the app, as a table sorted by path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import click

from ..core.app import App
from .discovery import find_app
from .options import app_option

__all__ = ["route_rows", "routes_command"]

HEADERS = ("Methods", "Path", "Name", "Handler")
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "WEBSOCKET")


@click.command("routes")
@app_option
def routes_command(target: str | None) -> None:
    """List every route of the app.

    One row per route: methods, path pattern, name and handler, sorted by path.
    """
    found = find_app(target)
    rows = route_rows(found.app)
    if not rows:
        click.echo(f"{found.import_string} has no routes yet.")
        return
    click.echo(format_table(HEADERS, rows))


def route_rows(app: App) -> list[tuple[str, str, str, str]]:
    """One row per route, sorted by path, then by method."""
    rows = [
        (_methods(route.methods), route.path, route.name or "", _describe(route.endpoint))
        for route in app.router.routes
    ]
    return sorted(rows, key=lambda row: (row[1], _method_rank(row[0].split(",")[0])))


def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = list(rows)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    rule = ["-" * width for width in widths]
    return "\n".join([line(headers), line(rule), *(line(row) for row in rows)])


def _methods(methods: Iterable[str]) -> str:
    shown = set(methods)
    if "GET" in shown:
        shown.discard("HEAD")  # implied by GET
    return ",".join(sorted(shown, key=_method_rank))


def _method_rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def _describe(endpoint: Any) -> str:
    module = getattr(endpoint, "__module__", None) or "?"
    name = getattr(endpoint, "__qualname__", None) or type(endpoint).__qualname__
    return f"{module}.{name}"
