"""The status page as an operator sees it: the daemon mirrors a healthy and a broken simulated
site, backs up, and headless Chromium loads the page.

Debian's Chromium is required: `./dev test` installs it when missing, and without it this test
fails rather than skips (a status page nobody looked at in a browser is not tested)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright
from sqlalchemy import insert

from backups.repository import Repository
from backups.targets.local import LocalTarget
from syncd.backup.schedule import scheduled_backup, scheduled_sampling
from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite
from syncd.simulator.faults import FaultKind
from syncd.store import schema as t
from syncd.store.store import utcnow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# A unit name a careless page would execute; the page must show it as plain text.
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">Xã Đắk Ruồng'
PASSPHRASE = "mật khẩu kiểm thử"


def _config(tmp_path: Path, store_url: str, healthy: str, broken: str) -> str:
    hostile = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
        'listen = "127.0.0.1:0"\nconcurrency = 2\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        f'[[units]]\nkey = "dr"\nname = "{hostile}"\nlevel = "commune"\nparent = "kr"\n'
        f'[[sites]]\nkey = "healthy"\nunit = "kr"\nkind = "dnn"\nbase_url = "{healthy}"\n'
        "local = true\n"
        f'[[sites]]\nkey = "broken"\nunit = "dr"\nkind = "dnn"\nbase_url = "{broken}"\n'
        "local = true\n"
        f'[[backup_targets]]\nkey = "nas"\nkind = "local"\npath = "{tmp_path / "nas"}"\n'
        'passphrase = { env = "T_WEB_PASS" }\nschedule = "0 2 * * *"\n'
    )


@pytest.fixture
def chromium() -> Path:
    assert CHROMIUM.exists(), "Debian's chromium is missing: ./dev test installs it (as root)"
    return CHROMIUM


async def _cell(page: Page, row: str, cell: str) -> str:
    return (await page.locator(f"{row} td.{cell}").inner_text()).strip()


async def test_status_page_in_chromium(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, chromium: Path
) -> None:
    monkeypatch.setenv("T_WEB_PASS", PASSPHRASE)
    async with SimulatedSite(seed=7, articles=12) as healthy, SimulatedSite(seed=8) as broken:
        broken.add_fault(FaultKind.ERROR_500)
        config = parse_config(_config(tmp_path, store_url, healthy.base_url, broken.base_url))
        daemon = Daemon(config)
        await daemon.start(schedule=False)
        try:
            results = {r.site: r for r in await daemon.run_burst()}
            assert results["healthy"].new == 12 and results["broken"].listing_failed
            await Repository.init(LocalTarget(tmp_path / "nas"), PASSPHRASE)
            backup = await scheduled_backup(config, daemon.store, "nas")
            await scheduled_sampling(config, daemon.store, "nas")
            # a second target whose last backup is three days old, as the log would hold it
            async with daemon.store.engine.begin() as conn:
                await conn.execute(insert(t.events).values(
                    at=utcnow() - timedelta(days=3), kind="backup.done", severity="info",
                    message="snapshot old0ld to target offsite", site_key=None,
                    data={"target": "target offsite (s3://b/)", "snapshot": "old0ld"},
                ))  # fmt: skip
            assert daemon.status_url is not None
            await _look_at_page(chromium, daemon.status_url, tmp_path, backup.snapshot)
            await _check_json(daemon.status_url, backup.snapshot)
        finally:
            await daemon.stop()


async def _look_at_page(chromium: Path, url: str, tmp_path: Path, snapshot: str) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            response = await page.goto(url)
            assert response is not None and response.status == 200
            assert await page.title() == "syncd status"

            # the broken site leads the table (problems first) and says why it fails
            keys = await page.locator("#sites tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.site)"
            )
            assert keys == ["broken", "healthy"]
            broken, healthy = '#sites tr[data-site="broken"]', '#sites tr[data-site="healthy"]'
            assert "FAILING" in await page.locator(broken).inner_text()
            reason = await _cell(page, broken, "reason")
            assert "500" in reason, reason
            assert await _cell(page, broken, "failures") == "1"
            assert await _cell(page, broken, "items") == "0"
            assert reason in await _cell(page, broken, "failure")

            assert "OK" in await page.locator(healthy).inner_text()
            assert await _cell(page, healthy, "reason") == "—"
            assert await _cell(page, healthy, "failures") == "0"
            assert await _cell(page, healthy, "items") == "12"
            assert await _cell(page, healthy, "revisions") == "12"

            # the hostile unit name reads as text; none of its markup became elements or ran
            assert HOSTILE in await _cell(page, broken, "unit")
            assert await page.locator("script").count() == 0
            assert await page.locator("img").count() == 0
            assert await page.evaluate("typeof window.__pwned") == "undefined"

            # the overall banner names what needs attention: the failing site, the stale backup
            banner = await page.locator("#overall").inner_text()
            assert "Needs attention" in banner and "broken: failing" in banner
            assert "offsite" in banner and "stale" in banner and "healthy" not in banner

            nas = '#backups tr[data-target^="target nas"]'
            assert "OK" in await page.locator(nas).inner_text()
            assert await _cell(page, nas, "snapshot") == snapshot
            assert "sampled" in await page.locator(nas).inner_text()
            old = '#backups tr[data-target^="target offsite"]'
            assert "STALE" in await page.locator(old).inner_text()
            assert await _cell(page, old, "age") == "3 days"

            events = await page.locator("#events").inner_text()
            assert "mirror.failed" in events and "mirror.pass" in events
            assert "backup.done" in events

            shot = tmp_path / "status.png"
            await page.screenshot(path=str(shot), full_page=True)
            data = shot.read_bytes()
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
        finally:
            await browser.close()


async def _check_json(url: str, snapshot: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(url + "status.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        report = await response.json()
    sites = {s["key"]: s for s in report["sites"]}
    assert sites["broken"]["state"] == "failing" and "500" in sites["broken"]["reason"]
    assert sites["broken"]["unit_name"] == HOSTILE
    assert sites["healthy"]["state"] == "ok" and sites["healthy"]["items"] == 12
    assert report["summary"] == {
        "sites": 2, "ok": 1, "failing": 1, "degraded": 0, "pending": 0, "partial": 0,
    }  # fmt: skip
    assert report["ok"] is False
    states = {b["target"].split(" (")[0]: (b["state"], b["snapshot"]) for b in report["backups"]}
    assert states == {"target nas": ("ok", snapshot), "target offsite": ("stale", "old0ld")}
