"""`syncd sync [SITE...]`: one mirror pass in the foreground, with progress and a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.cli.common import config_option, read_config, run
from syncd.config import Config
from syncd.config.secret_checks import require_secrets
from syncd.errors import ConfigError, NotFound

# The mirror (HTML parsing, the HTTP client) and rich are imported inside the command, so
# every other command, `syncd backup run` above all, starts without them (~16 MB).
if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from syncd.mirror.pipeline import PassResult


def _table(results: list[PassResult]) -> Table:
    from rich.table import Table

    table = Table(title="mirror pass")
    for column in ("site", "listed", "new", "changed", "deleted", "unchanged", "failed", "MB"):
        table.add_column(column, justify="left" if column == "site" else "right")
    table.add_column("note")
    for r in results:
        note = r.degraded or (r.errors[0] if r.errors else "")
        table.add_row(
            r.site, str(r.listed), str(r.new), str(r.changed), str(r.deleted), str(r.unchanged),
            str(r.failed), f"{r.bytes / 1e6:.1f}", note[:60],
        )  # fmt: skip
    return table


async def _sync(config: Config, keys: list[str], console: Console) -> list[PassResult]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from syncd.gc_tuning import tune_gc
    from syncd.mirror.session import mirror_session

    results: list[PassResult] = []
    async with mirror_session(config) as mirror:
        tune_gc()
        with Progress(
            TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True,
        ) as progress:  # fmt: skip
            for key in keys:
                task = progress.add_task(key, total=None)

                def update(done: int, total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done, total=total)

                results.append(await mirror.run_site(key, update))
                progress.remove_task(task)
    return results


def _chosen(config: Config, named: tuple[str, ...]) -> list[str]:
    """The sites to mirror: those named, or every enabled one."""
    if not named:
        return [s.key for s in config.sites if s.enabled]
    index = {s.key: i for i, s in enumerate(config.sites)}
    for key in named:
        if key not in index:
            raise NotFound(f"no site {key!r} in the configuration")
        if not config.sites[index[key]].enabled:
            raise ConfigError(f"sites[{index[key]}].enabled", f"site {key!r} is disabled")
    return list(named)


@click.command("sync")
@config_option
@click.argument("sites", nargs=-1)
def sync(config_file: Path | None, sites: tuple[str, ...]) -> None:
    """Mirror SITES (default: every enabled site) once, in the foreground."""
    from rich.console import Console

    config = read_config(config_file)
    keys = _chosen(config, sites)
    require_secrets(config, keys, daemon=False)
    console = Console(stderr=True)
    results = run(_sync(config, keys, console))
    Console().print(_table(results))
    if any(r.listing_failed or r.failed for r in results):
        sys.exit(1)
