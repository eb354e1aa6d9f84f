"""``Module``: a group of routes, templates and static files mounted under a prefix.

The Flask blueprint and the Django app are one idea here. A module records
what is declared on it; ``app.register(module, prefix="/blog")`` (or
``path("blog/", include(module))``) replays it on the app, names prefixed by
the module's namespace (``"blog:detail"``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from .exceptions import ConfigError
from .routing.rules import HTTP_METHODS, route_methods
from .routing.urls import Include, URLEntry, join, qualify

__all__ = ["HTTP_METHODS", "Module", "RouteDef", "flatten", "mounted", "root_of"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RouteDef:
    """A route as declared, before an app wraps and indexes it."""

    path: str
    endpoint: Callable[..., Any]
    methods: frozenset[str]
    name: str | None
    options: dict[str, Any] = field(default_factory=dict)
    module: Module | None = None


def root_of(import_name: str) -> Path:
    """The folder of the module called ``import_name`` (templates/ and static/ live there)."""
    module = sys.modules.get(import_name)
    file = getattr(module, "__file__", None)
    if file:
        return Path(file).resolve().parent
    return Path.cwd()


class Module:
    """Routes, templates and static files that an app mounts under a prefix."""

    def __init__(
        self,
        name: str,
        import_name: str | None = None,
        *,
        root: str | Path | None = None,
        templates_dir: str = "templates",
        static_dir: str = "static",
    ) -> None:
        if not name or ":" in name or "/" in name:
            raise ConfigError(f"Module name {name!r} must be non-empty, without ':' or '/'")
        self.name = name
        self.root = Path(root) if root is not None else root_of(import_name or name)
        self.templates_dir = templates_dir
        self.static_dir = static_dir
        self.definitions: list[RouteDef] = []
        self.error_handlers: dict[int | type[BaseException], Callable[..., Any]] = {}
        self.error_formatter: Callable[..., Any] | None = None
        self.startup_hooks: list[Callable[..., Any]] = []
        self.shutdown_hooks: list[Callable[..., Any]] = []
        # Where the module has been mounted; a route declared later would be lost.
        self.mounted_at: list[str] = []

    @property
    def templates_path(self) -> Path:
        return self.root / self.templates_dir

    @property
    def static_path(self) -> Path:
        return self.root / self.static_dir

    # Declaring routes ----------------------------------------------------------

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        *,
        name: str | None = None,
        **options: Any,
    ) -> None:
        if not path.startswith("/"):
            raise ConfigError(
                f"route {path!r}: decorator paths are absolute, as in Flask; write {'/' + path!r}"
            )
        method_set = route_methods(methods, f"route {path!r}")
        if name is None:
            name = getattr(endpoint, "__name__", None)
            if name is not None and not name.isidentifier():
                name = None  # "<lambda>" names nothing
        self._add(RouteDef(path, endpoint, method_set, name, options))

    def _add(self, definition: RouteDef) -> None:
        if self.mounted_at:
            raise ConfigError(
                f"cannot add route {definition.path!r} to module {self.name!r}: it is already "
                f"mounted at {self.mounted_at[0]!r}; declare its routes before registering it"
            )
        self.definitions.append(definition)

    def route(
        self, path: str, methods: Iterable[str] = ("GET",), *, name: str | None = None, **options: Any
    ) -> Callable[[F], F]:
        """Route ``path`` to the decorated handler for ``methods``."""

        def decorator(endpoint: F) -> F:
            self.add_route(path, endpoint, methods, name=name, **options)
            return endpoint

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("GET",), **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("POST",), **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("PUT",), **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("PATCH",), **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("DELETE",), **options)

    def websocket(self, path: str, *, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Route WebSocket connections on ``path`` to the decorated ``async def``."""
        return self.route(path, ("WEBSOCKET",), name=name, **options)

    def urls(self, entries: Iterable[URLEntry]) -> None:
        """Add Django-style ``path()`` entries; their patterns are relative to ``/``."""
        for definition in flatten(list(entries), "/", None):
            self._add(definition)

    # Errors and life cycle ---------------------------------------------------

    def errorhandler(self, key: int | type[BaseException]) -> Callable[[F], F]:
        """Handle a status code or an exception class: ``handler(request, exc)``."""
        if not (isinstance(key, int) or (isinstance(key, type) and issubclass(key, BaseException))):
            raise ConfigError(f"errorhandler({key!r}): expected a status code or an exception class")

        def decorator(handler: F) -> F:
            self.error_handlers[key] = handler
            return handler

        return decorator

    def on_startup(self, hook: F) -> F:
        self.startup_hooks.append(hook)
        return hook

    def on_shutdown(self, hook: F) -> F:
        self.shutdown_hooks.append(hook)
        return hook

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def flatten(entries: list[URLEntry], prefix: str, namespace: str | None) -> list[RouteDef]:
    """Resolve ``path()``/``include()`` entries to route definitions with absolute paths."""
    found: list[RouteDef] = []
    for entry in entries:
        full = join(prefix, entry.pattern)
        view = entry.view
        if isinstance(view, Include):
            inner = qualify(namespace, view.namespace) if view.namespace else namespace
            if view.entries is not None:
                found.extend(flatten(list(view.entries), full, inner))
            elif view.module is not None:
                # As app.register(): the module's own name is its namespace unless one is given.
                inner = qualify(namespace, view.namespace or view.module.name)
                found.extend(mounted(view.module, full, inner))
            continue
        methods = route_methods(entry.methods or ("GET",), f"path({entry.pattern!r})")
        name = qualify(namespace, entry.name)
        found.append(RouteDef(full, view, methods, name, dict(entry.options)))
    return found


def mounted(module: Module, prefix: str, namespace: str | None) -> list[RouteDef]:
    """A module's definitions placed under ``prefix``, names in ``namespace``."""
    base = prefix.rstrip("/")
    module.mounted_at.append(base + "/")
    defs = [
        replace(d, path=base + d.path, name=qualify(namespace, d.name), module=module)
        for d in module.definitions
    ]
    if module.static_path.is_dir():
        from .staticfiles import StaticFiles

        files = StaticFiles(module.static_path)

        def static(request: Any, filename: str) -> Any:
            return files.response(filename, method=request.method)

        defs.append(
            RouteDef(
                base + "/static/<path:filename>",
                static,
                frozenset({"GET", "HEAD"}),
                qualify(namespace, "static"),
                module=module,
            )
        )
    return defs
