"""One run of the real daemon over every hostile site and a few healthy simulated ones, and
what it left behind (store, log, watchdog, canary, exports) as plain data for the tests."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from syncd.config import load_config, parse_config
from syncd.errors import ConfigError
from syncd.simulator import ArticleTruth, SimulatedNetwork
from syncd.store import schema as t
from syncd.store.open import open_store
from syncd.store.store import Store
from tests.support.daemon_run import DaemonRun, run_daemon, sites_passed
from tests.support.hostile import HostileCase, HostileNetwork, config_toml

HEALTHY = 3
WATCHDOG_USEC = 10_000_000  # WatchdogSec=10: the daemon pings every 5 s
TIME_LIMIT = 75.0  # seconds the daemon gets to end one pass of every site
EXPORTED = ("javascript-feed", "javascript-page", "svg-script", "mislabelled-media")


@dataclass
class Item:
    source_key: str
    url: str
    doc: dict[str, Any] | None = field(repr=False)  # None: a tombstone

    @property
    def text(self) -> str:
        return json.dumps(self.doc, ensure_ascii=False)


@dataclass
class SiteOutcome:
    # (repr=False: a failing assertion prints the outcome, which must stay readable)
    key: str
    items: list[Item] = field(repr=False)
    last_error: str | None
    degraded: bool
    events: list[dict[str, Any]] = field(repr=False)
    failures: dict[str, str]  # item URL -> the error the daemon logged for it
    records: list[dict[str, Any]] = field(repr=False)  # every log line naming the site
    blobs: dict[str, tuple[str | None, bytes]] = field(repr=False)  # sha -> (type, bytes)
    hostile_paths: list[str] = field(default_factory=list)  # the case's own article paths
    exported: dict[str, str] = field(default_factory=dict, repr=False)  # file name -> text

    def item(self, path: str) -> Item:
        found = [i for i in self.items if path in i.url or path in i.source_key]
        assert len(found) == 1, f"{self.key}: {len(found)} items for {path}: {self.items}"
        return found[0]

    def media(self, item: Item, name: str) -> dict[str, Any]:
        assert item.doc is not None
        found = [m for m in item.doc["media"] if name in m["url"]]
        assert len(found) == 1, f"{self.key}: media {name}: {item.doc['media']}"
        return found[0]


@dataclass
class Outcome:
    run: DaemonRun
    cases: dict[str, HostileCase] = field(repr=False)
    sites: dict[str, SiteOutcome] = field(repr=False)
    truth: dict[str, list[ArticleTruth]] = field(repr=False)  # healthy key -> a true mirror
    canary_hits: list[str]
    refused: dict[str, str]  # site key -> why the configuration refused it at load


def _refusals(cases: list[HostileCase], state_dir: Path) -> dict[str, str]:
    """Sites whose configuration alone is refused at load (an address form the validator
    rejects); the daemon's configuration leaves them out, or it would not start at all."""
    refused = {}
    for case in cases:
        try:
            parse_config(config_toml([case], {}, state_dir))
        except ConfigError as exc:
            refused[case.name] = str(exc)
    return refused


async def _site_outcome(store: Store, key: str, run: DaemonRun) -> SiteOutcome:
    head = and_(t.revisions.c.item_id == t.items.c.id, t.revisions.c.seq == t.items.c.head_seq)
    async with store.engine.connect() as conn:
        site = (await conn.execute(select(t.sites).where(t.sites.c.key == key))).one()
        rows = (
            await conn.execute(
                select(t.items.c.id, t.items.c.source_key, t.items.c.url)
                .join(t.revisions, head)
                .where(t.items.c.site_id == site.id)
            )
        ).all()
        events = [
            dict(r._mapping)
            for r in (await conn.execute(select(t.events).where(t.events.c.site_key == key)))
        ]
        types = dict((await conn.execute(select(t.blobs.c.sha, t.blobs.c.content_type))).all())
    items = []
    blobs: dict[str, tuple[str | None, bytes]] = {}
    for row in rows:
        _, doc = await store.document(int(row.id))
        items.append(Item(row.source_key, row.url, doc))
        for media in (doc or {}).get("media", []):
            if media["sha"]:
                blobs[media["sha"]] = (types.get(media["sha"]), await store.blobs.get(media["sha"]))
    records = [r for r in run.records if r.get("site") == key]
    failures = {
        str(r.get("url")): str(r.get("error")) for r in records if r.get("event") == "item failed"
    }
    return SiteOutcome(
        key, items, site.last_error, bool(site.degraded), events, failures, records, blobs
    )


def _export(config: Path, key: str, out: Path) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "export", key, "--out", str(out), "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {
        str(path.relative_to(out)): path.read_bytes().decode("utf-8", errors="replace")
        for path in out.rglob("*")
        if path.is_file()
    }


async def run_scenario(workdir: Path) -> Outcome:
    async with (
        HostileNetwork() as hostile,
        SimulatedNetwork.generate(HEALTHY, seed=70, articles=20, images=4, documents=2) as sims,
    ):
        healthy = {f"healthy-{i}": site.base_url for i, site in enumerate(sims)}
        config = workdir / "syncd.toml"
        refused = _refusals(hostile.cases, workdir / "state")
        mirrored = [c for c in hostile.cases if c.name not in refused]
        config.write_text(config_toml(mirrored, healthy, workdir / "state"))
        keys = {c.name for c in mirrored} | set(healthy)
        run = await asyncio.to_thread(
            run_daemon, config, workdir, until=sites_passed(keys), time_limit=TIME_LIMIT,
            watchdog_usec=WATCHDOG_USEC, probe_every=0.25,
        )  # fmt: skip
        truth = {f"healthy-{i}": site.truth() for i, site in enumerate(sims)}
        hits = list(hostile.canary.hits)
    store = await open_store(load_config(config))
    try:
        sites = {key: await _site_outcome(store, key, run) for key in sorted(keys)}
    finally:
        await store.close()
    for case in mirrored:
        sites[case.name].hostile_paths = list(case.articles)
    for key in EXPORTED:
        sites[key].exported = await asyncio.to_thread(
            _export, config, key, workdir / f"export-{key}"
        )
    return Outcome(run, {c.name: c for c in hostile.cases}, sites, truth, hits, refused)
