"""The daemon end to end: scheduling, leasing, status page, metrics, and the demo command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import select, update

from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from syncd.store.mirrorstate import MirrorState
from syncd.store.store import as_utc, utcnow


def _config(tmp_path: Path, store_url: str, sites: dict[str, SimulatedSite]) -> str:
    text = (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
        'listen = "127.0.0.1:0"\nconcurrency = 2\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
    )
    for key, site in sites.items():
        text += (
            f'[[sites]]\nkey = "{key}"\nunit = "kr"\nkind = "dnn"\n'
            f'base_url = "{site.base_url}"\nlocal = true\n'
        )
    return text


async def test_burst_mirrors_due_sites_and_serves_status(tmp_path: Path, store_url: str) -> None:
    async with SimulatedSite(seed=1, articles=15) as a, SimulatedSite(seed=2, articles=10) as b:
        daemon = Daemon(parse_config(_config(tmp_path, store_url, {"a": a, "b": b})))
        await daemon.start(schedule=False)
        try:
            results = await daemon.run_burst()
            assert sorted((r.site, r.new) for r in results) == [("a", 15), ("b", 10)]
            # both sites were just mirrored, so nothing is due and a second burst does nothing
            assert await daemon.run_burst() == []
            assert daemon.status_url is not None
            async with aiohttp.ClientSession() as http:
                async with http.get(daemon.status_url) as page:
                    html = await page.text()
                    assert page.status == 200
                assert '<tr data-site="a" data-state="ok">' in html
                async with http.get(daemon.status_url + "metrics") as metrics:
                    text = await metrics.text()
                assert 'syncd_mirror_items_total{result="new",site="a"} 15.0' in text
                assert 'syncd_mirror_passes_total{outcome="ok",site="b"} 1.0' in text
                assert "syncd_site_last_success_timestamp_seconds" in text
                for path, expected in (("healthz", "ok"), ("readyz", "ready")):
                    async with http.get(daemon.status_url + path) as probe:
                        assert probe.status == 200 and expected in await probe.text()
            assert await daemon.healthy()
        finally:
            await daemon.stop()


async def test_leases_keep_two_daemons_apart(tmp_path: Path, store_url: str) -> None:
    async with SimulatedSite(seed=3, articles=5) as a, SimulatedSite(seed=4, articles=5) as b:
        config = parse_config(_config(tmp_path, store_url, {"a": a, "b": b}))
        first, second = Daemon(config, web=False), Daemon(config, web=False)
        await first.start(schedule=False)
        await second.start(schedule=False)
        try:
            state = MirrorState(first.store.engine)
            now = utcnow()
            until = now.replace(year=now.year + 1)
            got_first = await state.lease_due_sites("one", now, until, 1, ["a", "b"])
            got_second = await state.lease_due_sites("two", now, until, 5, ["a", "b"])
            assert len(got_first) == 1 and set(got_first).isdisjoint(got_second)
            assert set(got_first) | set(got_second) == {"a", "b"}
        finally:
            await first.stop()
            await second.stop()


async def test_a_pass_longer_than_its_lease_keeps_the_site(tmp_path: Path, store_url: str) -> None:
    lease = timedelta(seconds=1)
    async with SimulatedSite(seed=5, articles=4) as slow:
        # every article answers after twice the lease: the pass outlives it several times
        slow.add_fault("slow", paths=("/tin-tuc/",), delay=2 * lease.total_seconds())
        config = parse_config(_config(tmp_path, store_url, {"slow": slow}))
        first = Daemon(config, web=False, lease=lease, owner="first")
        await first.start(schedule=False)
        try:
            state = MirrorState(first.store.engine)
            burst = asyncio.create_task(first.run_burst())
            taken: list[str] = []
            held: list[tuple[str, datetime]] = []
            while not burst.done():
                # None: before the first daemon's tick, or the pass is over and released it
                found = await _lease(first, "slow")
                if found is not None:
                    held.append(found)
                    # a second daemon's tick, all through the pass
                    now = utcnow()
                    taken += await state.lease_due_sites("second", now, now + lease, 5, ["slow"])
                await asyncio.sleep(lease.total_seconds() / 20)
            results = await burst
            assert [(r.site, r.new, r.failed) for r in results] == [("slow", 4, 0)]
            assert slow.fault_hits("slow") == 4
            assert taken == []  # never leased to the second daemon mid-pass
            assert {owner for owner, _ in held} == {"first"}
            leases = [until for _, until in held]
            assert len(set(leases)) > 1  # the lease was renewed while the pass ran
            assert leases == sorted(leases)
        finally:
            await first.stop()


async def test_a_pass_whose_lease_was_taken_stops(tmp_path: Path, store_url: str) -> None:
    lease = timedelta(seconds=1)
    async with SimulatedSite(seed=6, articles=4) as slow:
        slow.add_fault("slow", paths=("/tin-tuc/",), delay=3 * lease.total_seconds())
        config = parse_config(_config(tmp_path, store_url, {"slow": slow}))
        first = Daemon(config, web=False, lease=lease, owner="first")
        await first.start(schedule=False)
        try:
            burst = asyncio.create_task(first.run_burst())
            found = None
            while found is None and not burst.done():
                found = await _lease(first, "slow")
                await asyncio.sleep(lease.total_seconds() / 20)
            # as if the lease had run out and another daemon had claimed the site
            async with first.store.engine.begin() as conn:
                await conn.execute(
                    update(t.sites).where(t.sites.c.key == "slow").values(lease_owner="second")
                )
            assert await burst == []  # the pass stopped: no result
            async with first.store.engine.connect() as conn:
                events = (await conn.execute(select(t.events.c.kind, t.events.c.message))).all()
            assert ("mirror.failed", "lease lost to another daemon; pass stopped") in events
            assert (await _lease(first, "slow") or ("",))[0] == "second"  # not released
        finally:
            await first.stop()


async def _lease(daemon: Daemon, key: str) -> tuple[str, datetime] | None:
    async with daemon.store.engine.connect() as conn:
        row = (await conn.execute(select(t.sites).where(t.sites.c.key == key))).one()
    until = as_utc(row.lease_until)
    return (row.lease_owner, until) if until is not None else None


def test_demo_runs_and_mirrors(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "syncd", "demo", "--duration", "8", "--communes", "2",
         "--articles", "12", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr  # a clean stop, even mid-pass
    assert "status page:   http://127.0.0.1:" in result.stdout
    assert result.stdout.count("commune ") == 2
    assert (tmp_path / "state" / "syncd.db").exists()
    history = subprocess.run(
        [sys.executable, "-m", "syncd", "units", "--config", str(tmp_path / "syncd.toml")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Huyện Kon Rẫy" in history.stdout
