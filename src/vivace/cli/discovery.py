"""Finding the app a command works on, as ``flask run`` does.

The target comes from ``--app``, else the ``VIVACE_APP`` variable, else the
first of ``app.py``, ``main.py`` and ``asgi.py`` in the current folder. A
target is ``module``, ``module:attr``, ``path/to/file.py`` or
``path/to/file.py:attr``. Without ``attr`` the app is the module's ``app``
attribute, or else the only ``App`` instance among its globals.

The folder the module is imported from goes first on ``sys.path``, so the
import string (``module:attr``) also works in the processes that the server
starts for reloading and for workers.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import click

from ..core.app import App
from ..core.exceptions import ConfigError

__all__ = ["DEFAULT_MODULES", "ENV_VAR", "FoundApp", "find_app", "parse_target"]

ENV_VAR = "VIVACE_APP"
#: Modules tried, in order, when no target is given.
DEFAULT_MODULES = ("app", "main", "asgi")


@dataclass(frozen=True)
class FoundApp:
    """An imported app and where it came from."""

    app: App
    module: str
    attr: str
    app_dir: Path

    @property
    def import_string(self) -> str:
        return f"{self.module}:{self.attr}"


class NoAppFound(click.ClickException):
    """No app could be found or imported; the message says where it looked."""


def find_app(target: str | None = None, *, cwd: Path | None = None) -> FoundApp:
    """Import the app named by ``target`` (or ``VIVACE_APP``, or the defaults)."""
    cwd = (cwd or Path.cwd()).resolve()
    source = "--app"
    if not target:
        target = os.environ.get(ENV_VAR) or None
        source = ENV_VAR
    if target:
        module_name, attr, app_dir = parse_target(target, cwd, source)
        module = _import(module_name, app_dir, source)
        return FoundApp(*_app_in(module, attr, source), app_dir)
    for name in DEFAULT_MODULES:
        if (cwd / f"{name}.py").is_file():
            module = _import(name, cwd, f"{name}.py")
            return FoundApp(*_app_in(module, None, f"{name}.py"), cwd)
    tried = ", ".join(f"{name}.py" for name in DEFAULT_MODULES)
    raise NoAppFound(
        f"no app found: none of {tried} is in {cwd}. Pass --app module:attr, "
        f"set {ENV_VAR}, or create app.py with 'app = App(__name__)' "
        "(vivace new NAME lays out a project)"
    )


def parse_target(target: str, cwd: Path, source: str = "--app") -> tuple[str, str | None, Path]:
    """Split ``target`` into a module name, an optional attribute and the folder to import from."""
    module_part, _, attr = target.partition(":")
    attr_or_none = attr or None
    if attr_or_none is not None and not all(part.isidentifier() for part in attr.split(".")):
        raise click.BadParameter(
            f"{target!r}: {attr!r} is not an attribute name; expose the app as a module "
            "global (app = App(__name__)) and name it: module:app",
            param_hint=_hint(source),
        )
    if module_part.endswith(".py") or "/" in module_part or os.sep in module_part:
        file = (cwd / module_part).resolve()
        if file.suffix != ".py" or not file.is_file():
            raise click.BadParameter(f"{target!r}: there is no Python file {file}", param_hint=_hint(source))
        module_name, app_dir = _module_for_file(file)
        return module_name, attr_or_none, app_dir
    if not module_part or not all(part.isidentifier() for part in module_part.split(".")):
        raise click.BadParameter(
            f"{target!r} is not a module name; expected module:attr, e.g. app:app or mysite.app:app",
            param_hint=_hint(source),
        )
    return module_part, attr_or_none, cwd


def _module_for_file(file: Path) -> tuple[str, Path]:
    """The dotted name of ``file`` and the folder above its outermost package."""
    parts = [file.stem] if file.stem != "__init__" else []
    folder = file.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:
        raise click.BadParameter(f"cannot import {file}: it is not inside a package")
    return ".".join(parts), folder


def _import(module_name: str, app_dir: Path, source: str) -> ModuleType:
    folder = str(app_dir)
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    importlib.invalidate_caches()
    try:
        spec = importlib.util.find_spec(module_name)
    except ModuleNotFoundError as exc:
        # A missing parent package means "no such module"; any other failure is the user's.
        if not exc.name or not module_name.startswith(exc.name):
            raise
        spec = None
    if spec is None:
        raise NoAppFound(f"cannot import {module_name!r} (from {source}): no such module in {app_dir}")
    try:
        return importlib.import_module(module_name)
    except ConfigError as exc:
        raise click.ClickException(f"the app in {module_name!r} is misconfigured: {exc}") from exc


def _app_in(module: ModuleType, attr: str | None, source: str) -> tuple[App, str, str]:
    name = module.__name__
    if attr is not None:
        value: object = module
        for part in attr.split("."):
            if not hasattr(value, part):
                raise NoAppFound(f"module {name!r} has no attribute {attr!r} (from {source})")
            value = getattr(value, part)
        if not isinstance(value, App):
            raise NoAppFound(f"{name}:{attr} is a {type(value).__name__}, not a vivace App (from {source})")
        return value, name, attr
    candidate = getattr(module, "app", None)
    if isinstance(candidate, App):
        return candidate, name, "app"
    found: dict[int, str] = {}
    for key, value in vars(module).items():
        if isinstance(value, App) and not key.startswith("_"):
            found.setdefault(id(value), key)
    if len(found) == 1:
        key = next(iter(found.values()))
        return getattr(module, key), name, key
    if found:
        names = ", ".join(sorted(found.values()))
        raise NoAppFound(f"module {name!r} has several apps ({names}); pick one with --app {name}:NAME")
    raise NoAppFound(f"module {name!r} (from {source}) has no vivace App; create one: app = App(__name__)")


def _hint(source: str) -> str:
    return "'--app'" if source == "--app" else source
