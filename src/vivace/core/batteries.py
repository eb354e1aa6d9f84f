"""How batteries reach an app without the core importing them.

A battery module, when imported, registers what it offers:

- a lazily built app attribute (``app.db``, ``app.auth``): ``provide``;
- a request attribute computed on each access (``request.user``,
  ``request.session``): ``provide_request_attribute``; the factory keeps
  whatever per-request state it needs in the ASGI scope;
- hooks run just before an app builds its middleware stack, the last moment
  a battery may add routes and middleware: ``on_app_build``;
- hooks run when an app starts: ``on_app_start``.

The registrations are code, made once per process; every value they build
belongs to one app (or one request).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App
    from .requests import Request

attribute_factories: dict[str, Callable[[App], Any]] = {}
request_attributes: dict[str, Callable[[Request], Any]] = {}
build_hooks: list[Callable[[App], None]] = []
start_hooks: list[Callable[[App], None]] = []
# Handler planners (the api battery): each takes a ``HandlerSignature`` and returns a handler or None.
_planners: list[Callable[..., Any]] = []
# The batteries that register planners, imported when the first handler that needs one is
# registered: a typed handler means the same whatever was imported before it, and an app
# of untyped handlers never loads them.
PLANNER_MODULES = ("vivace.api",)

# Where to find each battery, for the error message when it is used before it is imported.
KNOWN = {
    "db": "vivace.db",
    "auth": "vivace.auth",
    "user": "vivace.auth",
    "session": "vivace.auth",
    "api": "vivace.api",
}


def provide(name: str, factory: Callable[[App], Any]) -> None:
    """Make ``app.<name>`` build ``factory(app)`` on first use."""
    attribute_factories[name] = factory


def provide_request_attribute(name: str, factory: Callable[[Request], Any]) -> None:
    """Make ``request.<name>`` answer ``factory(request)`` (called on each access, so keep it cheap)."""
    request_attributes[name] = factory


def on_app_build(hook: Callable[[App], None]) -> None:
    """Call ``hook(app)`` before the app builds its stack (first request or start-up)."""
    if hook not in build_hooks:
        build_hooks.append(hook)


def on_app_start(hook: Callable[[App], None]) -> None:
    if hook not in start_hooks:
        start_hooks.append(hook)


def add_planner(planner: Callable[..., Any]) -> None:
    """Offer ``planner`` the handlers whose signature the core alone cannot serve."""
    if planner not in _planners:
        _planners.append(planner)


def planners() -> list[Callable[..., Any]]:
    if not _planners:
        for module in PLANNER_MODULES:
            import_module(module)
    return _planners
