"""A secret that disappears while the daemon runs fails its site with the reason, and nothing
else: no crash, the status page says why, an event is logged and the failing alert fires."""

from __future__ import annotations

from pathlib import Path

from syncd.alerting.rules import evaluate
from syncd.alerting.service import gather_facts, policy_of
from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite
from syncd.store.status import recent_events
from syncd.store.store import utcnow
from syncd.web.report import build_report


async def test_a_secret_file_removed_later_fails_only_its_site(
    tmp_path: Path, store_url: str
) -> None:
    secret = tmp_path / "konray-password"
    secret.write_text("hunter2\n")
    password = f'{{ username = "u", password = {{ file = "{secret}" }} }}'
    async with SimulatedSite(seed=5, articles=3) as a, SimulatedSite(seed=6, articles=4) as b:
        config = parse_config(
            f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
            '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
            f'[[sites]]\nkey = "konray"\nunit = "kr"\nkind = "dnn"\nbase_url = "{a.base_url}"\n'
            f"local = true\ncredentials = {password}\n"
            f'[[sites]]\nkey = "other"\nunit = "kr"\nkind = "dnn"\nbase_url = "{b.base_url}"\n'
            "local = true\n[alerting]\nfailing_after = 1\n"
        )
        daemon = Daemon(config, web=False)
        await daemon.start(schedule=False)
        try:
            secret.unlink()
            results = {r.site: r for r in await daemon.run_burst()}
            reason = results["konray"].listing_failed
            assert reason is not None
            assert reason.startswith("sites[0].credentials.password: cannot read secret file")
            assert results["other"].ok and results["other"].new == 4

            report = await build_report(daemon.store.engine, version="test")
            row = next(r for r in report.sites if r.site.key == "konray")
            assert (row.state, row.reason) == ("failing", reason)
            events = await recent_events(daemon.store.engine)
            assert any(e.kind == "mirror.failed" and e.message == reason for e in events)
            sites, targets = await gather_facts(config, daemon.store)
            now = utcnow()
            firing = evaluate(sites, targets, policy_of(config), now, now)
            assert [(a.rule, a.subject) for a in firing.values()] == [("site_failing", "konray")]
            assert reason in next(iter(firing.values())).summary
        finally:
            await daemon.stop()
