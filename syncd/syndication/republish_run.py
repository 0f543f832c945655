"""`syncd republish`: the run around syncd.syndication.republish (store, writer, worker)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.config.model import Config
from syncd.errors import ConfigError, SyncdError
from syncd.export.asof import as_of_or_now, parse_as_of
from syncd.store.store import utcnow
from syncd.syndication import republish as rp

if TYPE_CHECKING:
    from syncd.syndication.delivery import Deliverer


@dataclass(frozen=True)
class RepublishReport:
    queued: int
    delivered: int
    dead: int
    maps: tuple[Path, ...]


def _target(config: Config, key: str) -> None:
    site = next((s for s in config.sites if s.key == key), None)
    if site is None:
        raise ConfigError("--to", f"no site {key!r} in the configuration")
    if site.publish is None:
        raise ConfigError(f"sites[{config.sites.index(site)}].publish",
                          f"site {key!r} has no publish settings to write through")  # fmt: skip


async def run_republish(
    config: Config,
    site: str,
    target: str,
    as_of: str | None,
    *,
    dry_run: bool,
    out: Path,
    say: Callable[[str], None],
) -> RepublishReport:
    from connectors.http import HttpClient
    from connectors.writer_errors import WriteError
    from syncd.mirror.runner import http_policy
    from syncd.store.open import open_store
    from syncd.syndication.delivery import Deliverer, policy_of
    from syncd.syndication.writers import Writers

    _target(config, target)
    moment = as_of_or_now(parse_as_of(as_of) if as_of else None, utcnow())
    store = await open_store(config)
    try:
        async with HttpClient(http_policy(config)) as http:
            writers = Writers(config, http)
            writer = writers(target)
            assert writer is not None
            try:
                known = await writer.list_categories()
            except WriteError as exc:
                raise SyncdError(f"cannot read {target}'s categories: {exc}") from exc
            plan = await rp.plan(store, site, target, moment, known)
            say(f"{site} as of {moment:%Y-%m-%d %H:%M} UTC: {plan.articles} articles, "
                f"{plan.media} media files; {plan.already} already on {target}")  # fmt: skip
            if plan.missing_categories:
                say(f"categories {target} lacks (left off the copies): "
                    + ", ".join(plan.missing_categories))  # fmt: skip
            if dry_run:
                return RepublishReport(0, 0, 0, ())
            queued = await rp.enqueue(store, site, target, moment, known)
            names = {s.key: config.unit(s.unit).name for s in config.sites}
            deliverer = Deliverer(
                store, writers, owner=f"republish:{os.getpid()}", source_names=names,
                policy=policy_of(config), only_targets=frozenset([target]),
            )  # fmt: skip
            await _deliver(deliverer, site, target, plan.articles)
        delivered, waiting, dead = await rp.progress(store, site, target)
        pairs = await rp.redirects(store, site, target)
    finally:
        await store.close()
    maps = _write_maps(out, f"{site}-to-{target}", pairs)
    say(f"queued {queued}; {delivered} on {target}, {waiting} waiting, {dead} failed; "
        f"redirect maps ({len(pairs)} URLs): " + ", ".join(str(p) for p in maps))  # fmt: skip
    return RepublishReport(queued, delivered, dead, maps)


async def _deliver(deliverer: Deliverer, site: str, target: str, total: int) -> None:
    if not sys.stderr.isatty():
        await deliverer.run_until_idle()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("republish", total=total)
        while True:
            got = await deliverer.run_due()
            delivered, _, dead = await rp.progress(deliverer.store, site, target)
            bar.update(task, completed=delivered + dead)
            if not (got.done or got.retried or got.dead):
                break


def _write_maps(out: Path, stem: str, pairs: list[tuple[str, str]]) -> tuple[Path, ...]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = (
            (out / f"{stem}.csv", rp.redirect_csv(pairs)),
            (out / f"{stem}.nginx.conf", rp.redirect_nginx(pairs)),
            (out / f"{stem}.iis.xml", rp.redirect_iis(pairs)),
        )
        for path, text in files:
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SyncdError(f"cannot write the redirect maps to {out}: {exc.strerror}") from exc
    return tuple(path for path, _ in files)
