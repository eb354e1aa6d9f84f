"""How batteries reach an app without the core importing them.

A battery module, when imported, registers what it offers: a lazily built
attribute (``app.db``) and hooks run when an app starts. The registrations
are code, made once per process; every value they build belongs to one app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App

attribute_factories: dict[str, Callable[[App], Any]] = {}
start_hooks: list[Callable[[App], None]] = []

# Where to find each battery, for the error message when it is used before it is imported.
KNOWN = {"db": "vivace.db"}


def provide(name: str, factory: Callable[[App], Any]) -> None:
    """Make ``app.<name>`` build ``factory(app)`` on first use."""
    attribute_factories[name] = factory


def on_app_start(hook: Callable[[App], None]) -> None:
    if hook not in start_hooks:
        start_hooks.append(hook)
