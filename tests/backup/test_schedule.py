"""What the daemon's scheduler calls: a recorded backup, and the daily sampling read."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backups.repository import Repository
from backups.targets.local import LocalTarget
from syncd.backup.schedule import (
    sample_packs,
    sampling_slot,
    scheduled_backup,
    scheduled_sampling,
)
from syncd.config.load import load_config
from syncd.store import schema as t
from syncd.store.store import Store
from tests.backup.cli_support import local_target, write_config
from tests.backup.helpers import FAST_SCRYPT, SMALL_PACK

PASS = "lịch sao lưu"


async def _events(store: Store) -> list[tuple[str, str]]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(t.events.c.kind, t.events.c.severity).order_by(t.events.c.id)
        )
        return [(k, s) for k, s in rows]


async def test_scheduled_backup_and_a_month_of_sampling(
    small: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCD_TEST_PASSPHRASE", PASS)
    nas = tmp_path / "nas"
    await Repository.init(LocalTarget(nas), PASS, scrypt=FAST_SCRYPT, pack_size=SMALL_PACK)
    config = load_config(write_config(tmp_path / "c.toml", tmp_path / "state", local_target(nas)))
    result = await scheduled_backup(config, small, "nas")
    assert ("backup.done", "info") in await _events(small)

    repo = await Repository.open(LocalTarget(nas), PASS)
    packs = set(repo.index.pack_sizes())
    assert len(packs) > 3 and result.packs_checked == len(packs)
    read = 0
    start = date(2026, 1, 1)
    for offset in range(30):
        report = await sample_packs(repo, start + timedelta(days=offset))
        assert not report.problems
        read += report.packs_read
    assert read == len(packs)  # every pack exactly once in 30 days

    victim = next(iter(sorted(packs)))
    path = nas / "data" / victim[:2] / victim
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    its_day = next(
        start + timedelta(days=d)
        for d in range(30)
        if (start.toordinal() + d) % 30 == sampling_slot(victim)
    )
    report = await scheduled_sampling(config, small, "nas", today=its_day)
    assert report.problems
    assert ("backup.damaged", "error") in await _events(small)


async def test_scheduled_backup_records_a_failure(
    small: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCD_TEST_PASSPHRASE", "not the passphrase")
    nas = tmp_path / "nas"
    await Repository.init(LocalTarget(nas), PASS, scrypt=FAST_SCRYPT)
    config = load_config(write_config(tmp_path / "c.toml", tmp_path / "state", local_target(nas)))
    with pytest.raises(Exception, match="passphrase"):
        await scheduled_backup(config, small, "nas")
    assert ("backup.failed", "error") in await _events(small)
