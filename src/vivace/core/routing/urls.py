"""The URL-list style: ``path()`` entries and ``include()``, as in Django.

URL-list patterns are relative (``"notes/<int:id>/"``); ``include()`` joins its
prefix with the included patterns and prefixes their names with its
namespace (``"blog:detail"``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigError
from .rules import route_methods

if TYPE_CHECKING:
    from ..module import Module


@dataclass(frozen=True)
class Include:
    entries: Sequence[URLEntry] | None = None
    module: Module | None = None
    namespace: str | None = None


@dataclass(frozen=True)
class URLEntry:
    pattern: str
    view: Callable[..., Any] | Include
    name: str | None = None
    methods: tuple[str, ...] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def path(
    pattern: str,
    view: Callable[..., Any] | Include,
    *,
    name: str | None = None,
    methods: Iterable[str] | None = None,
    **options: Any,
) -> URLEntry:
    """One URL-list entry: a relative pattern and a view (or an ``include``).

    A view answers GET (and HEAD) unless ``methods`` says otherwise.
    """
    if pattern.startswith("/"):
        raise ConfigError(
            f"path({pattern!r}): URL-list patterns are relative, as in Django; "
            f"write path({pattern.lstrip('/')!r}, ...)"
        )
    if isinstance(view, Include) and (methods is not None or name is not None):
        raise ConfigError(f"path({pattern!r}, include(...)) takes no name or methods")
    if not isinstance(view, Include) and not callable(view):
        raise ConfigError(f"path({pattern!r}, ...): the view must be callable, got {view!r}")
    if methods is not None:
        route_methods(methods, f"path({pattern!r})")
    return URLEntry(pattern, view, name, tuple(methods) if methods else None, options)


def include(target: Any, *, namespace: str | None = None) -> Include:
    """Routes to mount under a ``path()`` prefix.

    ``target`` is a list of ``path()`` entries, a ``Module``, a Python module
    with a ``urlpatterns`` list, or the dotted name of such a module.
    """
    from ..module import Module

    if namespace is not None and (not namespace or ":" in namespace):
        raise ConfigError(f"include(namespace={namespace!r}): a namespace is a non-empty name without ':'")
    if isinstance(target, str):
        try:
            target = importlib.import_module(target)
        except ImportError as exc:
            raise ConfigError(f"include({target!r}): cannot import it ({exc})") from exc
    if isinstance(target, Module):
        return Include(module=target, namespace=namespace)
    if isinstance(target, ModuleType):
        patterns = getattr(target, "urlpatterns", None)
        if patterns is None:
            raise ConfigError(f"include({target.__name__!r}): the module has no 'urlpatterns' list")
        target = patterns
    if isinstance(target, (list, tuple)):
        for entry in target:
            if not isinstance(entry, URLEntry):
                raise ConfigError(f"include(...): expected path(...) entries, found {entry!r}")
        return Include(entries=list(target), namespace=namespace)
    raise ConfigError(
        f"include({target!r}): expected a list of path() entries, a Module, or a module with urlpatterns"
    )


def join(prefix: str, pattern: str) -> str:
    """Join an absolute prefix and a relative pattern: ``/blog/`` + ``<slug>/``."""
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix + pattern


def qualify(namespace: str | None, name: str | None) -> str | None:
    if name is None or namespace is None:
        return name
    return f"{namespace}:{name}"
