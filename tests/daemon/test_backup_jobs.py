"""The daemon's scheduled backup and read-back jobs: recorded, measured, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from backups.repository import Repository
from backups.targets.local import LocalTarget
from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.store import schema as t


def _config(tmp_path: Path) -> str:
    return (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nlisten = "127.0.0.1:0"\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        '[[sites]]\nkey = "kr"\nunit = "kr"\nkind = "feed"\nbase_url = "https://kr.example"\n'
        'options = { feeds = ["/rss"] }\n'
        f'[[backup_targets]]\nkey = "nas"\nkind = "local"\npath = "{tmp_path / "nas"}"\n'
        'passphrase = { env = "T_PASS" }\nschedule = "0 2 * * *"\n'
    )


async def test_backup_and_sampling_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_PASS", "một mật khẩu")
    daemon = Daemon(parse_config(_config(tmp_path)), web=False)
    await daemon.start(schedule=False)
    try:
        await daemon.store.record("kr", "https://kr.example/a", {"title": "Tin"}, url="u")
        # not initialised yet: the job fails, says so in the event log, and the daemon goes on
        await daemon._backup_job("nas", "backup")()
        await Repository.init(LocalTarget(tmp_path / "nas"), "một mật khẩu")
        await daemon._backup_job("nas", "backup")()
        await daemon._backup_job("nas", "sample")()
        async with daemon.store.engine.connect() as conn:
            kinds = [r.kind for r in (await conn.execute(select(t.events.c.kind))).all()]
        assert kinds.count("backup.failed") == 1 and kinds.count("backup.done") == 1
        assert "backup.sampled" in kinds
        text = daemon.metrics.render().decode()
        assert 'syncd_backup_runs_total{kind="backup",outcome="failed",target="nas"} 1.0' in text
        assert 'syncd_backup_runs_total{kind="backup",outcome="ok",target="nas"} 1.0' in text
        assert 'syncd_backup_last_success_timestamp_seconds{target="nas"}' in text
    finally:
        await daemon.stop()
