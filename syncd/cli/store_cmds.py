"""`syncd db upgrade`, `syncd db check`, `syncd history`, `syncd show`, `syncd diff`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.cli.common import config_option, human_size, read_config, run, with_store
from syncd.config.durations import parse_duration

# The store (SQLAlchemy) is imported by the commands that open it, not at start-up.
if TYPE_CHECKING:
    from syncd.store.check import CheckReport
    from syncd.store.store import Store

SHOWN = 50  # problem lines printed; the rest are counted


@click.group("db")
def db_group() -> None:
    """Manage the store's database."""


@db_group.command("upgrade")
@config_option
def db_upgrade(config_file: Path | None) -> None:
    """Apply pending schema migrations."""
    from syncd.store.db import upgrade
    from syncd.store.open import prepare_store

    run(upgrade(prepare_store(read_config(config_file))))
    click.echo("store schema is up to date")


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_duration(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def check_lines(report: CheckReport, grace: str) -> list[str]:
    """What `syncd db check` prints: the summary, the orphans, then the problems."""
    verb = "looked up (--quick: not read)" if report.quick else "read back and verified"
    verdict = "consistent" if report.consistent else _count(report.problem_count, "problem")
    lines = [
        f"{verdict}: {_count(report.items, 'item')}, {_count(report.revisions, 'revision')}, "
        f"{_count(report.blobs, 'blob')} {verb}; {_count(report.orphans, 'orphan blob')} "
        f"({human_size(report.orphan_bytes)}, named by no row)"
    ]
    if report.pruned or report.kept_recent:
        lines.append(
            f"pruned {_count(report.pruned, 'orphan blob')} ({human_size(report.pruned_bytes)}); "
            f"kept {report.kept_recent} younger than {grace} (their rows may be about to commit)"
        )
    lines += report.problems[:SHOWN]
    if report.problem_count > SHOWN:
        lines.append(f"... and {report.problem_count - SHOWN} more")
    return lines


@db_group.command("check")
@config_option
@click.option("--quick", is_flag=True, help="Look blobs up without reading them (no hash check).")
@click.option(
    "--prune-orphans",
    is_flag=True,
    help="Delete orphan blobs (stored, but named by no row) older than the grace period.",
)
@click.option(
    "--grace",
    callback=_duration,
    default=None,
    metavar="DURATION",
    help="With --prune-orphans: keep orphans younger than this (default 1h), since a "
    "write's row may be about to commit.",
)
def db_check(config_file: Path | None, quick: bool, prune_orphans: bool, grace: str | None) -> None:
    """Check that the store is whole: revision numbering and heads, every referenced blob
    recorded, every recorded blob present and intact; report orphan blobs.

    Exit status 0: consistent (orphans alone are no inconsistency); 1: problems found (listed);
    2: the check could not run (usage, configuration, store unreachable or not current);
    3: there is no store."""
    from syncd.store.check import check_store
    from syncd.store.open import open_existing_store

    if grace is not None and not prune_orphans:
        raise click.UsageError("--grace applies only with --prune-orphans")
    grace = grace or "1h"

    async def check() -> CheckReport:
        # opened as it is: a check must not change the store it examines (no migration)
        store = await open_existing_store(read_config(config_file), migrate=False)
        try:
            await _require_current_schema(store)
            prune_grace = int(parse_duration(grace).total_seconds()) if prune_orphans else None
            return await check_store(store, quick=quick, prune_grace=prune_grace)
        finally:
            await store.close()

    from syncd.errors import StoreError

    try:
        report = run(check())
    except StoreError as exc:
        # no finding about the store, but no finding at all: kept apart from exit 1
        exc.exit_code = 2
        raise
    for line in check_lines(report, grace):
        click.echo(line)
    if not report.consistent:
        sys.exit(1)


async def _require_current_schema(store: Store) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from syncd.errors import StoreError
    from syncd.store.open import migration_heads

    where = store.engine.url.render_as_string()
    try:
        async with store.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except OSError as exc:
        raise StoreError(f"cannot reach the store at {where}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"no syncd store at {where} (no schema version)") from exc
    heads = migration_heads()
    if heads and {row[0] for row in rows} != heads:
        raise StoreError(
            f"the store at {where} is not at the current schema: run `syncd db upgrade`"
        )


@click.command("history")
@config_option
@click.argument("item")
def history(config_file: Path | None, item: str) -> None:
    """Revisions of ITEM, newest first (ITEM: id, SITE:KEY, or URL)."""

    async def action(store: Store) -> None:
        info = await store.find_item(item)
        click.echo(
            f"item {info.id} on {info.site_key}: {info.url}"
            + (" (deleted)" if info.deleted else "")
        )
        for rev in await store.history(info.id):
            label = "tombstone" if rev.tombstone else (rev.title or "")
            sha = (rev.content_sha or "-")[:12]
            click.echo(f"  rev {rev.seq:>3}  {rev.created_at:%Y-%m-%d %H:%M:%S}  {sha:12}  {label}")

    run(with_store(read_config(config_file), action))


@click.command("show")
@config_option
@click.argument("item")
@click.option("--rev", "seq", type=int, default=None, help="Revision number (default: newest).")
@click.option("--json", "as_json", is_flag=True, help="Print the stored document as JSON.")
def show(config_file: Path | None, item: str, seq: int | None, as_json: bool) -> None:
    """Print one revision of ITEM."""
    from syncd.textview import document_text

    async def action(store: Store) -> None:
        info = await store.find_item(item)
        rev, document = await store.document(info.id, seq)
        if as_json:
            click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            click.echo(f"# item {info.id} rev {rev.seq} ({rev.created_at:%Y-%m-%d %H:%M:%S})")
            click.echo(document_text(document), nl=False)

    run(with_store(read_config(config_file), action))


@click.command("diff")
@config_option
@click.argument("item")
@click.argument("rev_a", type=int)
@click.argument("rev_b", type=int)
def diff(config_file: Path | None, item: str, rev_a: int, rev_b: int) -> None:
    """Unified diff of the text of two revisions of ITEM."""
    from syncd.textview import document_text, unified

    async def action(store: Store) -> None:
        info = await store.find_item(item)
        _, doc_a = await store.document(info.id, rev_a)
        _, doc_b = await store.document(info.id, rev_b)
        text = unified(
            document_text(doc_a), document_text(doc_b), f"{item}@{rev_a}", f"{item}@{rev_b}"
        )
        click.echo(text or "no difference in text", nl=bool(not text))

    run(with_store(read_config(config_file), action))
