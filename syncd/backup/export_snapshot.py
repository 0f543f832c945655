"""Exporting a site straight from a backup: restore the site into a throwaway SQLite store,
then hand that store to the exporter. For `syncd export SITE --snapshot ID`."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from backups.repository import Repository
from syncd.backup.restore import RestoreReport, restore_snapshot
from syncd.backup.scope import Scope
from syncd.export import ExportResult, Format, export_site
from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store


async def export_snapshot(
    repo: Repository,
    snapshot: str,
    site_key: str,
    *,
    as_of: datetime | None,
    fmt: Format,
    out: Path,
    site_name: str | None = None,
) -> tuple[ExportResult, RestoreReport]:
    """Export `site_key` as it is in `snapshot` (and as of `as_of`); the restore's report says
    what the backup could not give back (the export then lacks exactly that)."""
    with tempfile.TemporaryDirectory(prefix="syncd-export-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'store.db'}"
        await upgrade(url)
        store = Store(create_engine(url), LocalBlobStore(Path(tmp) / "blobs"))
        try:
            report = await restore_snapshot(
                repo, snapshot, store, Scope(site=site_key, as_of=as_of)
            )
            result = await export_site(
                store, site_key, as_of=as_of, fmt=fmt, out=out, site_name=site_name
            )
        finally:
            await store.close()
    return result, report
