"""`syncd export SITE [--as-of DATE] --format static|warc --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from syncd.cli.common import (
    check_can_create,
    config_option,
    human_size,
    read_config,
    run,
    with_store,
)

if TYPE_CHECKING:
    from syncd.export import ExportResult
    from syncd.store.store import Store


def summary(result: ExportResult) -> str:
    line = (
        f"exported {result.site_key} as of {result.as_of:%Y-%m-%d %H:%M:%S} UTC ({result.fmt}): "
        f"{result.articles} articles, {result.media} media files, {human_size(result.bytes)} "
        f"in {result.out}"
    )
    if result.missing_media:
        line += f"; {result.missing_media} media files were not in the store (links kept)"
    return line


@click.command("export")
@config_option
@click.argument("site")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Show the site as it was then: YYYY-MM-DD (end of that day, UTC) or "
    "YYYY-MM-DDTHH:MM[:SS][+zone]. Default: now.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["static", "warc"]),
    default="static",
    show_default=True,
    help="static: a browsable folder of HTML; warc: one WARC 1.1 file (.warc.gz).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to create; it must not exist or be empty.",
)
@click.option(
    "--snapshot",
    default=None,
    metavar="ID",
    help="Export from this backup snapshot ('latest' for the newest) instead of the live store.",
)
@click.option("--target", default=None, help="Backup target key (default: the first one).")
def export(
    config_file: Path | None,
    site: str,
    as_of: str | None,
    fmt: str,
    out: Path,
    snapshot: str | None,
    target: str | None,
) -> None:
    """Export SITE from the store (or a backup snapshot) as a static site or a web archive."""
    # imported here so other commands do not pay for lxml and warcio at start-up
    from syncd.export import Format, check_output, export_site, parse_as_of

    moment = parse_as_of(as_of) if as_of is not None else None
    check_output(out)  # refuse before opening the store
    check_can_create(out, "--out")
    config = read_config(config_file)

    configured = next((s for s in config.sites if s.key == site), None)
    unit = next((u for u in config.units if configured and u.key == configured.unit), None)

    async def action(store: Store) -> ExportResult:
        return await export_site(
            store,
            site,
            as_of=moment,
            fmt=cast(Format, fmt),
            out=out,
            site_name=unit.name if unit else None,
        )

    if snapshot is None:
        click.echo(summary(run(with_store(config, action))))
        return

    async def from_snapshot() -> ExportResult:
        from syncd.backup.access import open_configured
        from syncd.backup.export_snapshot import export_snapshot

        repo = await open_configured(config, target)
        try:
            result, report = await export_snapshot(
                repo, snapshot, site, as_of=moment, fmt=cast(Format, fmt), out=out,
                site_name=unit.name if unit else None,
            )  # fmt: skip
        finally:
            await repo.target.close()
        for line in report.lines():
            click.echo(f"syncd: {line}", err=True)
        return result

    click.echo(summary(run(from_snapshot())))
