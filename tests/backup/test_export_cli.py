"""`syncd export SITE --snapshot ID`: an emergency copy of a site straight from a backup."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.backup.cli_support import local_target, run_main, write_config
from tests.backup.helpers import open_fresh_store, populate


async def _prepare(state: Path) -> None:
    store = await open_fresh_store(f"sqlite+aiosqlite:///{state / 'syncd.db'}", state / "blobs")
    await populate(store, sites=1, items=6)
    await store.close()


def test_export_from_latest_snapshot(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    # a plain test: the command runs its own event loop, as it does for a user
    state = tmp_path / "state"
    asyncio.run(_prepare(state))
    config = write_config(tmp_path / "syncd.toml", state, local_target(tmp_path / "nas"))
    env = {"SYNCD_CONFIG": str(config), "SYNCD_TEST_PASSPHRASE": "mật khẩu"}
    for args in (["backup", "init"], ["backup", "run"]):
        code, _, err = run_main(args, env, tmp_path, capsys, monkeypatch)
        assert code == 0, err
    out = tmp_path / "copy"
    code, stdout, err = run_main(
        ["export", "site0", "--snapshot", "latest", "--out", str(out)],
        env, tmp_path, capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    assert "exported site0" in stdout
    pages = sorted((out / "articles").glob("*.html"))
    # items 4 was deleted (a tombstone), so 5 of 6 articles are in the copy
    assert len(pages) == 5
    assert any("Tin 0-0" in p.read_text(encoding="utf-8") for p in pages)

    code, _, err = run_main(
        ["export", "site0", "--snapshot", "nope", "--out", str(tmp_path / "x")],
        env, tmp_path, capsys, monkeypatch,
    )  # fmt: skip
    assert code != 0 and len(err.strip().splitlines()) == 1 and "nope" in err
