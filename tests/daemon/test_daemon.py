"""The daemon end to end: scheduling, leasing, status page, metrics, and the demo command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp

from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite
from syncd.store.mirrorstate import MirrorState
from syncd.store.store import utcnow


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
