"""Entry point: the command group and the edge where errors become one-line messages."""

from __future__ import annotations

import os
import sys

import click

from syncd import __version__
from syncd.cli.alert_cmds import alerts_group
from syncd.cli.backup_cmds import backup_group, restore
from syncd.cli.config_cmds import config_group, units
from syncd.cli.daemon_cmds import demo, run_daemon
from syncd.cli.export_cmd import export
from syncd.cli.store_cmds import db_group, diff, history, show
from syncd.cli.sync_cmd import sync
from syncd.cli.syndication_cmds import (
    approvals_group,
    copies_cmd,
    deliveries_group,
    relink_cmd,
    republish_cmd,
    unlink_cmd,
)
from syncd.errors import SyncdError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syncd")
def cli() -> None:
    """syncd mirrors, syndicates and backs up a network of government web sites."""


cli.add_command(config_group)
cli.add_command(db_group)
cli.add_command(units)
cli.add_command(history)
cli.add_command(show)
cli.add_command(diff)
cli.add_command(sync)
cli.add_command(backup_group)
cli.add_command(restore)
cli.add_command(export)
cli.add_command(run_daemon)
cli.add_command(demo)
cli.add_command(alerts_group)
cli.add_command(approvals_group)
cli.add_command(copies_cmd)
cli.add_command(unlink_cmd)
cli.add_command(relink_cmd)
cli.add_command(republish_cmd)
cli.add_command(deliveries_group)


def main() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="syncd")
    except click.exceptions.Abort:
        click.echo("syncd: interrupted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # one line like every other refusal; the usage itself is one --help away
        command = exc.ctx.command_path if exc.ctx is not None else "syncd"
        click.echo(f"syncd: {exc.format_message().rstrip('.')} (see `{command} --help`)", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"syncd: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except SyncdError as exc:
        click.echo(f"syncd: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("syncd: interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        # the machine refused something (a folder not writable, a disk full, a name not
        # found): the user's to fix, so one line naming the path, not an internal error
        if os.environ.get("SYNCD_DEBUG"):
            raise
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"syncd: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("SYNCD_DEBUG"):
            raise
        if _database_refused(exc):
            from syncd.store.db import database_error

            click.echo(f"syncd: the store refused: {database_error(exc)}", err=True)
            sys.exit(1)
        # A failure nobody anticipated still gets one line; SYNCD_DEBUG=1 shows the traceback.
        click.echo(f"syncd: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(70)


def _database_refused(exc: Exception) -> bool:
    """The database could not do what was asked for reasons of its own (unreachable, read-only,
    locked, disk full). Only asked when the store was opened, so commands that never open it
    do not load SQLAlchemy for this."""
    if "syncd.store.db" not in sys.modules:
        return False
    from syncd.store.db import refused_by_database

    return refused_by_database(exc)
