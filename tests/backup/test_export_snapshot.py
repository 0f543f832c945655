"""Exporting a site from a snapshot (restored into a temporary store, then exported)."""

from __future__ import annotations

from pathlib import Path

from backups.repository import Repository
from syncd.backup.export_snapshot import export_snapshot
from syncd.backup.scope import parse_as_of
from syncd.backup.snapshot import run_backup
from syncd.store.store import Store


async def test_static_export_of_a_site_from_a_snapshot(
    filled: Store, local_repo: Repository, tmp_path: Path
) -> None:
    result = await run_backup(filled, local_repo)
    out = tmp_path / "site0"
    exported, report = await export_snapshot(
        local_repo, result.snapshot, "site0", as_of=parse_as_of("2025-03-01"), fmt="static", out=out
    )
    assert report.complete
    assert exported.site_key == "site0" and exported.articles > 0
    pages = [p.read_text(encoding="utf-8") for p in out.rglob("*.html")]
    assert any("Tin 0-1 bản 0" in page for page in pages)
    assert not any("bản 1" in page for page in pages)  # second revisions came the next day
