"""`syncd db upgrade`, `syncd history`, `syncd show`, `syncd diff`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.cli.common import config_option, read_config, run, with_store

# The store (SQLAlchemy) is imported by the commands that open it, not at start-up.
if TYPE_CHECKING:
    from syncd.store.store import Store


@click.group("db")
def db_group() -> None:
    """Manage the store's database."""


@db_group.command("upgrade")
@config_option
def db_upgrade(config_file: Path | None) -> None:
    """Apply pending schema migrations."""
    from syncd.store.db import upgrade
    from syncd.store.open import store_url

    url = store_url(read_config(config_file))
    run(upgrade(url))
    click.echo("store schema is up to date")


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
