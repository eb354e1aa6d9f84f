"""``vivace new NAME``: lay out a project that runs and passes its tests at once.

The files come from ``scaffold/`` beside this module. Each ends in ``.tmpl``
(so no tool mistakes them for the package's own code) and is filled in with
``string.Template``: ``${project}`` is the name, ``$$`` a dollar sign. A
leading ``dot-`` in a file name becomes ``.`` (``dot-gitignore``).
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import click

__all__ = ["create_project", "new_command", "validate_name"]

SUFFIX = ".tmpl"
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


@click.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The project folder to create. Default: ./NAME. It may exist if it is empty.",
)
def new_command(name: str, directory: Path | None) -> None:
    """Create a project called NAME.

    Lays out an app, a module with its routes and templates, shared templates,
    static files, tests and a README. Never overwrites a non-empty folder.
    """
    try:
        validate_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'NAME'") from None
    target = directory if directory is not None else Path(name)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "is not empty" if target.is_dir() else "exists and is not a folder"
        raise click.ClickException(
            f"{target} {what}; vivace new never overwrites files. "
            "Choose another NAME or pass --dir with a new or empty folder."
        )
    created = create_project(name, target)
    click.echo(f"Created {name} in {target} ({len(created)} files). Next:")
    click.echo(f"  cd {target}")
    click.echo("  vivace run          # then open http://127.0.0.1:8000/")
    click.echo("  python -m pytest    # run the tests")


def validate_name(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a usable project name."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid project name: use up to 64 letters, digits, '_' or '-', "
            "starting with a letter (e.g. my_site)"
        )
    if name.lower().replace("-", "_") == "vivace":
        raise ValueError(f"{name!r} would shadow the framework's own name; pick another (e.g. my_site)")


def create_project(name: str, target: Path) -> list[Path]:
    """Write the scaffold for project ``name`` into ``target``; return the files written."""
    values = {"project": name}
    written: list[Path] = []
    target.mkdir(parents=True, exist_ok=True)
    for relative, source in _walk(files(__package__).joinpath("scaffold"), ()):
        destination = target.joinpath(*relative)
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = Template(source.read_text("utf-8")).substitute(values)
        destination.write_text(text, "utf-8")
        written.append(destination)
    return written


def _walk(folder: Traversable, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Traversable]]:
    found: list[tuple[tuple[str, ...], Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__":
                found.extend(_walk(entry, (*prefix, entry.name)))
        elif entry.name.endswith(SUFFIX):
            name = entry.name.removesuffix(SUFFIX)
            if name.startswith("dot-"):
                name = "." + name.removeprefix("dot-")
            found.append(((*prefix, name), entry))
    return found
