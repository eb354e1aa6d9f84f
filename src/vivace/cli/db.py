"""The database commands: migrations and fixtures.

``makemigrations``, ``migrate``, ``downgrade`` and ``showmigrations`` drive
``vivace.db.migrations``; ``dumpdata`` and ``loaddata`` drive
``vivace.db.fixtures``. Each finds the app as ``vivace run`` does and works on
``app.db``: its database and the registries of its models.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..core.exceptions import ConfigError
from .discovery import FoundApp, find_app
from .options import app_option

__all__ = [
    "downgrade_command",
    "dumpdata_command",
    "loaddata_command",
    "makemigrations_command",
    "migrate_command",
    "showmigrations_command",
]


@contextlib.contextmanager
def _app_database(target: str | None) -> Iterator[FoundApp]:
    """The app, with its data layer built; its connections are closed afterwards."""
    import sqlalchemy as sa

    import vivace.db  # noqa: F401 - provides app.db
    from vivace.db import DatabaseError

    found = find_app(target)
    try:
        layer = found.app.db
    except ConfigError as exc:
        raise click.ClickException(f"the database of {found.import_string} is misconfigured: {exc}") from None
    try:
        yield found
    except (DatabaseError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:
        if not (isinstance(exc, sa.exc.SQLAlchemyError) or _from_driver(exc)):
            raise
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"database {layer.database.url_for_display}: {reason}") from None
    finally:
        for database in layer.databases.values():
            database.close()


# Each named database has a history of its own: migrations/ for "default", migrations/<name>/ for others.
database_option = click.option(
    "--database",
    default="default",
    show_default=True,
    metavar="NAME",
    help="Which of the app's databases (the databases setting) to work on.",
)


# Migrations -------------------------------------------------------------------------


@click.command("makemigrations")
@app_option
@click.option("-m", "--message", help="What the revision does; by default, a summary of its changes.")
@click.option(
    "--branch",
    default="app",
    show_default=True,
    metavar="LABEL",
    help="The history to add to: the project's (app) or a battery's.",
)
@click.option("--empty", is_flag=True, help="Write a revision that does nothing yet, to fill in by hand.")
@click.option("--check", is_flag=True, help="Write nothing; exit with status 1 if the models have changes.")
@database_option
def makemigrations_command(
    target: str | None, message: str | None, branch: str, empty: bool, check: bool, database: str
) -> None:
    """Write a migration for the changes made to the models.

    The first migration creates the tables; later ones compare the models
    with the database, which must be migrated. Files go to migrations/ beside
    the app.
    """
    from vivace.db.migrations import Migrations

    with _app_database(target) as found:
        migrations = Migrations.for_app(found.app, database=database)
        if check:
            changes = migrations.changes(branch)
            if changes:
                click.echo(f"The models have changes not in a migration: {', '.join(changes)}")
                click.get_current_context().exit(1)
            click.echo("No changes: the migrations match the models.")
            return
        made = migrations.make(message, branch=branch, empty=empty)
        if made is None:
            click.echo("No changes: the migrations match the models; nothing written.")
            return
        click.echo(f"Wrote {_shown(made.path)} ({made.id}){':' if made.changes else ''}")
        for change in made.changes:
            click.echo(f"  - {change}")
        for warning in made.warnings:
            click.secho(f"Warning: {warning}", fg="yellow", err=True)


@click.command("migrate")
@app_option
@click.argument("revision", required=False)
@click.option("--down", is_flag=True, help="Undo the latest migration of the project (or down to REVISION).")
@click.option("--fake", is_flag=True, help="Record the migrations as applied without running them.")
@database_option
def migrate_command(target: str | None, revision: str | None, down: bool, fake: bool, database: str) -> None:
    """Apply the migrations, up to REVISION or every one.

    REVISION is a revision id (app_0002), a branch's head (app@head) or base
    (app@base, base). A REVISION already applied is migrated down to.
    """
    from vivace.db.migrations import Migrations

    with _app_database(target) as found:
        migrations = Migrations.for_app(found.app, database=database)
        if down:
            if fake:
                raise click.BadOptionUsage("fake", "--fake records applied migrations; it does not undo")
            steps = migrations.downgrade(revision or migrations.previous())
        else:
            steps = migrations.migrate(revision, fake=fake)
        if not steps:
            click.echo("Nothing to do: the database is up to date." if not down else "Nothing to undo.")
        for step in steps:
            verb = ("Recorded" if step.fake else "Applied") if step.up else "Undid"
            click.echo(f"{verb} {step.id}  {step.message}")
        if revision is None and not down and not fake:
            pending = migrations.changes()
            if pending:
                click.secho(
                    f"Note: the models have changes not in a migration ({', '.join(pending)}); "
                    "run vivace makemigrations",
                    fg="yellow",
                    err=True,
                )


@click.command("downgrade")
@app_option
@click.argument("revision")
@database_option
def downgrade_command(target: str | None, revision: str, database: str) -> None:
    """Undo migrations until REVISION is the latest applied (base or app@base: undo them all)."""
    from vivace.db.migrations import Migrations

    with _app_database(target) as found:
        steps = Migrations.for_app(found.app, database=database).downgrade(revision)
        if not steps:
            click.echo("Nothing to undo.")
        for step in steps:
            click.echo(f"Undid {step.id}  {step.message}")


@click.command("showmigrations")
@app_option
@database_option
def showmigrations_command(target: str | None, database: str) -> None:
    """List the migrations of each branch, [X] when applied."""
    from vivace.db.migrations import Migrations

    with _app_database(target) as found:
        for label, revisions in Migrations.for_app(found.app, database=database).status().items():
            click.echo(label)
            if not revisions:
                click.echo(" (no migrations)")
            for revision in revisions:
                mark = "X" if revision.applied else " "
                click.echo(f" [{mark}] {revision.id}  {revision.message}")


# Fixtures ------------------------------------------------------------------------------


@click.command("dumpdata")
@app_option
@click.argument("labels", nargs=-1, metavar="[LABEL]...")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: stdout).",
)
@click.option("--indent", default=2, show_default=True, type=click.IntRange(0, 8), help="0 writes one line.")
def dumpdata_command(target: str | None, labels: tuple[str, ...], output: Path | None, indent: int) -> None:
    """Write the rows of the models as JSON.

    LABEL is an app (blog) or a model (blog.post); without one, every model.
    """
    from vivace.db.fixtures import dump, encode

    with _app_database(target) as found:
        layer = found.app.db
        layer.bind_all()
        data = encode(dump(layer.registries, labels), indent=indent)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    output.write_bytes(data)
    click.echo(f"Wrote {_shown(output)}", err=True)


@click.command("loaddata")
@app_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def loaddata_command(target: str | None, files: tuple[Path, ...]) -> None:
    """Load JSON fixtures made by dumpdata, all in one transaction.

    Rows whose primary key exists are updated. One bad record and nothing is loaded.
    """
    from vivace.db import atomic
    from vivace.db.fixtures import decode, load

    with _app_database(target) as found:
        layer = found.app.db
        layer.bind_all()
        fixtures = [(file, decode(file.read_bytes(), source=file.name)) for file in files]
        total = 0
        with atomic(layer.database):
            for file, records in fixtures:
                total += load(layer.registries, records, source=file.name)
    click.echo(
        f"Loaded {total} record{'s' if total != 1 else ''} from {len(files)} file{'s' * (len(files) != 1)}."
    )


def _from_driver(exc: Exception) -> bool:
    """Whether ``exc`` is an error of a database driver (sqlite3, psycopg): no such table, and the like."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
