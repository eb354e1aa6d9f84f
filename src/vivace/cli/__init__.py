"""The ``vivace`` command.

One module per command group: ``run`` serves an app, ``routes`` lists its
routes, ``new`` lays out a project, ``demo`` serves the demo app, ``db``
holds the migration and fixture commands.
``discovery`` finds the app the way ``flask run`` does.
"""

from __future__ import annotations

import click

from .auth import changepassword_command, check_command, createsuperuser_command
from .db import (
    downgrade_command,
    dumpdata_command,
    loaddata_command,
    makemigrations_command,
    migrate_command,
    showmigrations_command,
)
from .demo import demo_command
from .new import new_command
from .routes import routes_command
from .run import run_command

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vivace", prog_name="vivace")
def cli() -> None:
    """vivace: run, inspect and create vivace apps."""


cli.add_command(run_command)
cli.add_command(routes_command)
cli.add_command(new_command)
cli.add_command(demo_command)
cli.add_command(createsuperuser_command)
cli.add_command(changepassword_command)
cli.add_command(check_command)
cli.add_command(makemigrations_command)
cli.add_command(migrate_command)
cli.add_command(downgrade_command)
cli.add_command(showmigrations_command)
cli.add_command(dumpdata_command)
cli.add_command(loaddata_command)


def main() -> None:
    """The entry point of the ``vivace`` script."""
    cli(prog_name="vivace")
