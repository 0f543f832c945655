"""`syncd approvals`, `syncd copies ITEM`, `syncd unlink COPY`, `syncd relink COPY`."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from syncd.cli.common import config_option, read_config, run, with_store

if TYPE_CHECKING:
    from syncd.syndication.copies import CopyInfo


def _who(given: str | None) -> str:
    if given:
        return given
    # under sudo, the person rather than root
    return os.environ.get("SUDO_USER") or getpass.getuser()


by_option = click.option(
    "--by", "by", default=None, help="Who decides (default: the user running the command)."
)


def _line(c: CopyInfo) -> str:
    title = (c.title or c.source_url)[:60]
    extra = f"  [{c.note}]" if c.note else ""
    last = f"  last delivery: {c.last_delivery}" if c.last_delivery else ""
    where = f"  {c.remote_url}" if c.remote_url else ""
    return f"{c.id:>6}  {c.state:<17} {c.target:<14} {c.route:<20} {title}{where}{extra}{last}"


def _as_json(copies: list[CopyInfo]) -> str:
    def one(c: CopyInfo) -> dict[str, Any]:
        data = dict(c.__dict__)
        data["created_at"] = c.created_at.isoformat()
        return data

    return json.dumps([one(c) for c in copies], ensure_ascii=False, indent=2)


@click.group("approvals", invoke_without_command=True)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def approvals_group(ctx: click.Context, config_file: Path | None, as_json: bool) -> None:
    """Copies waiting for an editor's approval (routes with approval = true, or a category
    the route does not map)."""
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file
    if ctx.invoked_subcommand is not None:
        return
    from syncd.syndication.copies import awaiting_approval

    waiting = run(with_store(read_config(config_file), awaiting_approval))
    if as_json:
        click.echo(_as_json(waiting))
        return
    if not waiting:
        click.echo("no copies wait for approval")
        return
    for c in waiting:
        click.echo(_line(c))


@approvals_group.command("approve")
@click.argument("copy_id", type=int)
@by_option
@click.option("--note", default=None, help="A word on the decision, kept with it.")
@config_option
@click.pass_context
def approve_cmd(
    ctx: click.Context, copy_id: int, by: str | None, note: str | None, config_file: Path | None
) -> None:
    """Approve copy COPY_ID: it is delivered to its target."""
    from syncd.syndication.copies import approve

    config = read_config(config_file or ctx.obj.get("config_file"))
    done = run(with_store(config, lambda s: approve(s, copy_id, _who(by), note)))
    click.echo(f"approved: {_line(done)}")


@approvals_group.command("reject")
@click.argument("copy_id", type=int)
@click.option("--reason", required=True, help="Why; kept with the decision.")
@by_option
@config_option
@click.pass_context
def reject_cmd(
    ctx: click.Context, copy_id: int, reason: str, by: str | None, config_file: Path | None
) -> None:
    """Reject copy COPY_ID: it is never delivered (approve it later to change your mind)."""
    from syncd.syndication.copies import reject

    config = read_config(config_file or ctx.obj.get("config_file"))
    done = run(with_store(config, lambda s: reject(s, copy_id, _who(by), reason)))
    click.echo(f"rejected: {_line(done)}")


@click.command("copies")
@click.argument("item")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def copies_cmd(item: str, config_file: Path | None, as_json: bool) -> None:
    """Every copy of ITEM (an item id, SITE:SOURCE_KEY or a URL) with its state."""
    from syncd.syndication.copies import copies_of

    async def action(store: Any) -> list[CopyInfo]:
        found = await store.find_item(item)
        return await copies_of(store, found.id)

    copies = run(with_store(read_config(config_file), action))
    if as_json:
        click.echo(_as_json(copies))
    elif not copies:
        click.echo(f"{item}: no copies")
    else:
        for c in copies:
            click.echo(_line(c))


@click.command("unlink")
@click.argument("copy_id", type=int)
@by_option
@config_option
def unlink_cmd(copy_id: int, by: str | None, config_file: Path | None) -> None:
    """Stop updating copy COPY_ID: it stays on its site as it is."""
    from syncd.syndication.copies import unlink

    done = run(with_store(read_config(config_file), lambda s: unlink(s, copy_id, _who(by))))
    click.echo(f"unlinked: {_line(done)}")


@click.command("relink")
@click.argument("copy_id", type=int)
@by_option
@config_option
def relink_cmd(copy_id: int, by: str | None, config_file: Path | None) -> None:
    """Follow the origin again: copy COPY_ID is overwritten with the origin's current text."""
    from syncd.syndication.copies import relink

    done = run(with_store(read_config(config_file), lambda s: relink(s, copy_id, _who(by))))
    click.echo(f"relinked: {_line(done)}")


@click.command("republish")
@click.argument("site")
@click.option("--to", "target", required=True, help="The site to rebuild into (its `publish`).")
@click.option("--as-of", "as_of", default=None, help="The moment (date or ISO time); default now.")
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option(
    "--redirects",
    "redirects_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the redirect maps (default: STATE_DIR/redirects).",
)
@config_option
def republish_cmd(
    site: str,
    target: str,
    as_of: str | None,
    dry_run: bool,
    redirects_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Put every article SITE had (as of a date) into the site TARGET through its writer, and
    write a redirect map from the old URLs to the new (CSV, nginx map, IIS rewriteMap).
    Running it again resumes and never makes a second copy."""
    from syncd.syndication.republish_run import run_republish

    config = read_config(config_file)
    out = redirects_dir or config.daemon.state_dir / "redirects"
    report = run(run_republish(config, site, target, as_of, dry_run=dry_run, out=out,
                               say=click.echo))  # fmt: skip
    if report.dead:
        raise click.exceptions.Exit(1)


@click.group("deliveries", invoke_without_command=True)
@config_option
@click.pass_context
def deliveries_group(ctx: click.Context, config_file: Path | None) -> None:
    """The outbox: deliveries waiting and those parked as dead, with why."""
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file
    if ctx.invoked_subcommand is not None:
        return
    from syncd.syndication.overview import syndication_overview

    async def action(store: Any) -> Any:
        return await syndication_overview(store.engine)

    o = run(with_store(read_config(config_file), action))
    states = ", ".join(f"{n} {s}" for s, n in sorted(o.copies.items())) or "none"
    click.echo(f"{o.pending} waiting, {o.dead} dead; copies: {states}")
    for d in o.dead_list:
        click.echo(f"{d.id:>6}  dead  {d.target:<14} {d.action:<9} copy {d.copy_id}: {d.error}")


@deliveries_group.command("retry")
@click.argument("delivery_id", type=int, required=False)
@click.option("--all", "every", is_flag=True, help="Every dead delivery.")
@by_option
@config_option
@click.pass_context
def retry_cmd(
    ctx: click.Context,
    delivery_id: int | None,
    every: bool,
    by: str | None,
    config_file: Path | None,
) -> None:
    """Put a dead delivery (or --all) back in the queue once what stopped it is fixed."""
    from syncd.syndication.copies import retry_dead

    if (delivery_id is None) == (not every):
        raise click.UsageError("name one DELIVERY_ID, or give --all")
    config = read_config(config_file or ctx.obj.get("config_file"))
    count = run(with_store(config, lambda s: retry_dead(s, delivery_id, _who(by))))
    click.echo(f"{count} deliveries queued again")
