"""`syncd db check` as an administrator runs it, on a store mirrored from a simulated site
(SQLite, and PostgreSQL when the test server is set)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from connectors.http import HttpClient, HttpPolicy
from syncd.config import load_config
from syncd.mirror.runner import Mirror
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.open import open_store

POLICY = HttpPolicy(backoff_base=0.01, backoff_max=0.05, read_timeout=5, total_timeout=10)


def syncd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args], capture_output=True, text=True, timeout=300
    )


def _config(tmp_path: Path, store_url: str, base_url: str) -> Path:
    cfg = tmp_path / "syncd.toml"
    cfg.write_text(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        f'[[sites]]\nkey = "s"\nunit = "kr"\nkind = "dnn"\nbase_url = "{base_url}"\n'
        "local = true\n"
    )
    return cfg


async def _mirrored(tmp_path: Path, store_url: str) -> tuple[Path, list[str]]:
    """A config whose store holds one mirror pass of a simulated site, and its media blobs."""
    async with SimulatedSite(seed=31, articles=15, images=4, documents=2) as site:
        cfg = _config(tmp_path, store_url, site.base_url)
        config = load_config(cfg)
        store = await open_store(config)
        try:
            async with HttpClient(POLICY) as http:
                mirror = Mirror(config, store, http)
                await mirror.register_sites()
                result = await mirror.run_site("s")
            assert result.ok and result.new == 15
            async with store.engine.connect() as conn:
                media = list((await conn.execute(select(t.revision_blobs.c.sha))).scalars())
        finally:
            await store.close()
    assert len(set(media)) == 6
    return cfg, sorted(set(media))


def _blob_file(tmp_path: Path, sha: str) -> Path:
    return tmp_path / "state" / "blobs" / sha[:2] / f"{sha}.zst"


async def test_db_check_on_a_mirrored_store(store_url: str, tmp_path: Path) -> None:
    cfg, media = await _mirrored(tmp_path, store_url)
    clean = syncd("db", "check", "--config", str(cfg))
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.startswith("consistent: 15 items, 15 revisions, 21 blobs read back")
    assert "0 orphan blobs" in clean.stdout

    # a media file whose row never committed (a crash between the two)
    orphan = await LocalBlobStore(tmp_path / "state" / "blobs").put(b"orphaned image" * 100)
    found = syncd("db", "check", "--config", str(cfg))
    assert found.returncode == 0, found.stdout
    assert "; 1 orphan blob (" in found.stdout
    kept = syncd("db", "check", "--config", str(cfg), "--prune-orphans")
    assert kept.returncode == 0
    assert "pruned 0 orphan blobs (0 B); kept 1 younger than 1h" in kept.stdout
    assert _blob_file(tmp_path, orphan).exists()
    pruned = syncd("db", "check", "--config", str(cfg), "--prune-orphans", "--grace", "0s")
    assert pruned.returncode == 0
    assert "pruned 1 orphan blob (" in pruned.stdout and "kept 0" in pruned.stdout
    assert not _blob_file(tmp_path, orphan).exists()
    # every referenced blob survived the prune
    assert all(_blob_file(tmp_path, sha).exists() for sha in media)
    assert syncd("db", "check", "--config", str(cfg)).returncode == 0

    _blob_file(tmp_path, media[0]).unlink()
    for extra in ([], ["--quick"]):
        damaged = syncd("db", "check", "--config", str(cfg), *extra)
        assert damaged.returncode == 1, damaged.stderr
        lines = damaged.stdout.splitlines()
        assert lines[0].startswith("1 problem: 15 items")
        assert lines[1].startswith(f"blob {media[0]}: missing; media of item ")
        assert len(lines) == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    cfg = _config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", "http://x.example")
    bad = syncd("db", "check", "--config", str(cfg), "--prune-orphans", "--grace", "soon")
    assert bad.returncode == 2 and "expected a duration" in bad.stderr
    alone = syncd("db", "check", "--config", str(cfg), "--grace", "2h")
    assert alone.returncode == 2 and "only with --prune-orphans" in alone.stderr
    # no store there: nothing to check (exit 3, as for any named thing missing), none created
    empty = syncd("db", "check", "--config", str(cfg))
    assert empty.returncode == 3, empty.stderr
    assert empty.stderr.strip().startswith(f"syncd: no store at {tmp_path / 'store.db'}")
    assert len(empty.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "store.db").exists()


def test_only_the_first_50_problems_are_printed() -> None:
    from syncd.cli.store_cmds import check_lines
    from syncd.store.check import CheckReport

    report = CheckReport(items=3, revisions=4, blobs=5)
    for n in range(60):
        report.problem(f"item {n}: damaged")
    lines = check_lines(report, "1h")
    assert lines[0].startswith("60 problems: 3 items, 4 revisions, 5 blobs read back")
    assert lines[1:51] == [f"item {n}: damaged" for n in range(50)]
    assert lines[51:] == ["... and 10 more"]
