"""Alerting gauges outlive a restart: a new daemon starts them from what the store recorded,
so a site that was failing, or a target whose backups are old, still alerts afterwards."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from syncd.backup.access import configured_target, describe
from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _samples(daemon: Daemon) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(daemon.metrics.render().decode())
        for s in family.samples
    }


async def test_gauges_start_from_the_store(tmp_path: Path, store_url: str) -> None:
    async with SimulatedSite(seed=3, articles=4) as good:
        text = (
            f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
            '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
            f'[[sites]]\nkey = "good"\nunit = "kr"\nkind = "dnn"\nbase_url = "{good.base_url}"\n'
            "local = true\n"
            f'[[sites]]\nkey = "down"\nunit = "kr"\nkind = "feed"\n'
            f'base_url = "http://127.0.0.1:{_closed_port()}"\nlocal = true\n'
            'options = { feeds = ["/rss"] }\n'
            f'[[backup_targets]]\nkey = "nas"\nkind = "local"\npath = "{tmp_path / "nas"}"\n'
            'passphrase = { env = "T_PASS" }\nschedule = "0 2 * * *"\n'
            f'[[backup_targets]]\nkey = "off"\nkind = "local"\npath = "{tmp_path / "off"}"\n'
            'passphrase = { env = "T_PASS" }\nschedule = "0 2 * * *"\n'
        )
        config = parse_config(text)
        first = Daemon(config, web=False)
        await first.start(schedule=False)
        try:
            results = {r.site: r for r in await first.run_burst()}
            assert results["good"].new == 4 and results["down"].listing_failed
            backed_up_at = time.time()
            where = describe(configured_target(config, "nas")[1])
            await first.store.log_event("backup.done", "snapshot x", data={"target": where})
        finally:
            await first.stop()

        second = Daemon(config, web=False)
        await second.start(schedule=False)
        try:
            got = _samples(second)
        finally:
            await second.stop()

    assert got[("syncd_site_failures", (("site", "down"),))] == 1
    assert got[("syncd_site_failures", (("site", "good"),))] == 0
    assert (
        abs(got[("syncd_site_last_success_timestamp_seconds", (("site", "good"),))] - backed_up_at)
        < 600
    )
    assert ("syncd_site_last_success_timestamp_seconds", (("site", "down"),)) not in got
    assert ("syncd_site_last_change_timestamp_seconds", (("site", "good"),)) in got
    assert (
        abs(
            got[("syncd_backup_last_success_timestamp_seconds", (("target", "nas"),))]
            - backed_up_at
        )
        < 600
    )
    assert ("syncd_backup_last_success_timestamp_seconds", (("target", "off"),)) not in got
    assert got[("syncd_backup_target_configured", (("target", "off"),))] == 1
    failed = (("kind", "backup"), ("outcome", "failed"), ("target", "off"))
    assert got[("syncd_backup_runs_total", failed)] == 0  # present from the start, so it can rise
