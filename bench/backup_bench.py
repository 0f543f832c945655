"""Backup benchmark: syncd against restic on the reference corpus, measured in one run.

    .venv/bin/python bench/backup_bench.py [--work DIR] [--corpus-script PATH]

The corpus (../shared/bench/gen_corpus.py; N_TEXT, N_BIN and SEED pass through) is loaded into
a SQLite store as one simulated site: each page is an item whose revision document holds the
page (HTML as text, JSON records as parsed JSON), each image an item whose revision refers to
the image blob. restic backs up the corpus files themselves. Each step of either tool runs as
a child process, whose wall time and peak RSS come from wait4; for syncd the time of the
operation itself (without interpreter start-up and imports) is reported too.
This is a benchmark, not a test: it prints a Markdown table and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS_SCRIPT = Path("/work/shared/bench/gen_corpus.py")
PASSPHRASE = "bench-password"
SITE = "bench"
BASE = "https://bench.example/"
SINGLE_INDEX = 778  # the page bench.sh restores alone (bai-00778.html for N_TEXT=2000)


# --- the child side: one syncd step per process -----------------------------------------------


def _store(url_dir: Path) -> Any:
    from syncd.store.blobs import LocalBlobStore
    from syncd.store.db import create_engine
    from syncd.store.store import Store

    return Store(
        create_engine(f"sqlite+aiosqlite:///{url_dir / 'syncd.db'}"),
        LocalBlobStore(url_dir / "blobs"),
    )


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def _load(corpus: Path, state: Path) -> None:
    from syncd.store.db import upgrade

    await upgrade(f"sqlite+aiosqlite:///{state / 'syncd.db'}")
    store = _store(state)
    await store.ensure_site(SITE, "bench-unit", "dnn", BASE.rstrip("/"))
    changed = 0
    for path in _files(corpus):
        rel = path.relative_to(corpus).as_posix()
        data = path.read_bytes()
        if path.suffix == ".jpg":
            sha = await store.put_blob(data, "image/jpeg")
            doc: dict[str, Any] = {
                "path": rel,
                "content_type": "image/jpeg",
                "size": len(data),
                "sha": sha,
            }
            rec = await store.record(
                SITE, BASE + rel, doc, url=BASE + rel, kind="file", media=[sha]
            )
        elif path.suffix == ".json":
            try:
                doc = {"path": rel, "record": json.loads(data)}
            except ValueError:
                # gen_corpus's mutate can append prose to a JSON file: keep it as text.
                doc = {"path": rel, "text": data.decode()}
            rec = await store.record(SITE, BASE + rel, doc, url=BASE + rel)
        else:
            doc = {"path": rel, "html": data.decode()}
            rec = await store.record(SITE, BASE + rel, doc, url=BASE + rel)
        changed += rec.changed
    await store.close()
    print(json.dumps({"changed": changed}))


async def _init(repo_dir: Path) -> None:
    from backups.repository import Repository
    from backups.targets.local import LocalTarget

    repo = await Repository.init(LocalTarget(repo_dir), PASSPHRASE)
    (repo_dir.parent / "syncd-key").write_text(repo.export_recovery_key())


async def _unwrap(repo_dir: Path) -> None:
    """What the daemon does once per target: unwrap the master key (scrypt, ~32 MiB)."""
    from backups.repository import Repository
    from backups.targets.local import LocalTarget

    started = time.perf_counter()
    await Repository.open(LocalTarget(repo_dir), PASSPHRASE)
    print(json.dumps({"op_seconds": time.perf_counter() - started}))


async def _backup(state: Path, repo_dir: Path) -> None:
    """One backup as the daemon runs it: the master key is already unwrapped (see _unwrap)."""
    from backups.repository import Repository
    from backups.targets.local import LocalTarget
    from syncd.backup.snapshot import run_backup

    key = (repo_dir.parent / "syncd-key").read_text()
    started = time.perf_counter()
    repo = await Repository.open(LocalTarget(repo_dir), recovery_key=key)
    store = _store(state)
    result = await run_backup(store, repo)
    seconds = time.perf_counter() - started
    await store.close()
    print(
        json.dumps(
            {"op_seconds": seconds, "blobs_added": result.blobs_added, "run": result.seconds}
        )
    )


async def _restore(repo_dir: Path, out: Path, item: str | None) -> None:
    from backups.repository import Repository
    from backups.targets.local import LocalTarget
    from syncd.backup.restore import restore_snapshot
    from syncd.backup.scope import Scope
    from syncd.store.db import upgrade

    key = (out / "key").read_text()
    started = time.perf_counter()
    repo = await Repository.open(LocalTarget(repo_dir), recovery_key=key)
    await upgrade(f"sqlite+aiosqlite:///{out / 'syncd.db'}")
    store = _store(out)
    report = await restore_snapshot(repo, "latest", store, Scope(item=item))
    seconds = time.perf_counter() - started
    await store.close()
    print(json.dumps({"op_seconds": seconds, "complete": report.complete, "blobs": report.blobs}))


def child(argv: list[str]) -> None:
    step = argv[0]
    if step == "load":
        asyncio.run(_load(Path(argv[1]), Path(argv[2])))
    elif step == "init":
        asyncio.run(_init(Path(argv[1])))
    elif step == "unwrap":
        asyncio.run(_unwrap(Path(argv[1])))
    elif step == "backup":
        asyncio.run(_backup(Path(argv[1]), Path(argv[2])))
    else:
        asyncio.run(_restore(Path(argv[1]), Path(argv[2]), argv[3] if len(argv) > 3 else None))


# --- the parent side: run, time, compare -----------------------------------------------------


def measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `cmd`: wall seconds and peak RSS (MB) from wait4, plus the JSON line it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{cmd[:4]} failed: {err.read().decode()[-800:]}")
        result: dict[str, Any] = {"wall": wall, "rss_mb": usage.ru_maxrss / 1024}
        for line in out.read().decode().splitlines():
            if line.startswith("{"):
                result.update(json.loads(line))
    return result


def size_of(path: Path) -> int:
    return sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file() and ".target" not in p.parts
    )


def me(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", *args]


Rows = dict[str, tuple[float, float]]


def one_run(work: Path, corpus_script: Path) -> Rows:
    """Every step once for both tools; measure -> (restic, syncd)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    src, state = work / "src", work / "state"
    subprocess.run([sys.executable, str(corpus_script), "create", str(src)], check=True)
    corpus_bytes = size_of(src)
    measured(me("load", str(src), str(state)))

    renv = {
        **os.environ,
        "RESTIC_PASSWORD": PASSPHRASE,
        "RESTIC_CACHE_DIR": str(work / "restic-cache"),
    }
    rrepo = work / "restic-repo"
    srepo = work / "syncd-repo"
    restic = ["restic", "-q", "-r", str(rrepo)]
    measured([*restic, "init"], renv)
    rows: Rows = {}
    # restic backs up the folder by relative path, like bench.sh
    os.chdir(src)
    r_b1 = measured([*restic, "backup", "."], renv)
    measured(me("init", str(srepo)))
    s_b1 = measured(me("backup", str(state), str(srepo)))
    s_unwrap = measured(me("unwrap", str(srepo)))
    r_size, s_size = size_of(rrepo), size_of(srepo)
    subprocess.run([sys.executable, str(corpus_script), "mutate", str(src), "5"], check=True)
    measured(me("load", str(src), str(state)))
    r_b2 = measured([*restic, "backup", "."], renv)
    s_b2 = measured(me("backup", str(state), str(srepo)))
    r_added, s_added = size_of(rrepo) - r_size, size_of(srepo) - s_size
    r_b3 = measured([*restic, "backup", "."], renv)
    s_b3 = measured(me("backup", str(state), str(srepo)))

    key = (work / "syncd-key").read_text()
    r_full = measured([*restic, "restore", "latest", "--target", str(work / "r-full")], renv)
    (work / "s-full").mkdir()
    (work / "s-full" / "key").write_text(key)
    s_full = measured(me("restore", str(srepo), str(work / "s-full")))
    single = next(src.rglob(f"bai-{SINGLE_INDEX:05d}.*")).relative_to(src).as_posix()
    r_one = measured(
        [*restic, "restore", "latest", "--target", str(work / "r-one"), "--include", "/" + single],
        renv,
    )
    (work / "s-one").mkdir()
    (work / "s-one" / "key").write_text(key)
    s_one = measured(me("restore", str(srepo), str(work / "s-one"), f"{SITE}:{BASE}{single}"))

    rows["repository size (MB)"] = (r_size / 1e6, s_size / 1e6)
    rows["added by the 5 % change (MB)"] = (r_added / 1e6, s_added / 1e6)
    for name, r, s in (
        ("backup #1 (s)", r_b1, s_b1),
        ("backup #2, after the change (s)", r_b2, s_b2),
        ("no-change backup (s)", r_b3, s_b3),
        ("full restore (s)", r_full, s_full),
        ("single-item restore (s)", r_one, s_one),
    ):
        rows[name] = (r["wall"], s["wall"])
        rows[name.replace("(s)", "(s, operation only)")] = (r["wall"], s["op_seconds"])
    for name, r, s in (
        ("backup #1", r_b1, s_b1),
        ("no-change backup", r_b3, s_b3),
        ("full restore", r_full, s_full),
        ("single-item restore", r_one, s_one),
    ):
        rows[f"peak RSS, {name} (MB)"] = (r["rss_mb"], s["rss_mb"])
    rows["peak RSS (MB)"] = (
        max(x["rss_mb"] for x in (r_b1, r_b2, r_b3, r_full, r_one)),
        max(x["rss_mb"] for x in (s_b1, s_b2, s_b3, s_full, s_one)),
    )
    # Once per daemon and target, not per backup: restic has no such step (it runs its KDF
    # in every command, inside the figures above).
    rows["syncd only: unwrap the master key with scrypt (s)"] = (0.0, s_unwrap["op_seconds"])
    rows["syncd only: unwrap the master key with scrypt, peak RSS (MB)"] = (
        0.0,
        s_unwrap["rss_mb"],
    )
    print(
        f"corpus: {corpus_bytes / 1e6:.1f} MB; syncd full restore complete: {s_full['complete']}",
        file=sys.stderr,
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=Path("/tmp/syncd-backup-bench"))
    parser.add_argument("--corpus-script", type=Path, default=CORPUS_SCRIPT)
    parser.add_argument("--runs", type=int, default=1, help="repeat; report medians and spread")
    args = parser.parse_args()
    runs = [one_run(args.work, args.corpus_script) for _ in range(args.runs)]
    print("| measure | restic | syncd | syncd / restic | ratio per run |\n|---|---|---|---|---|")
    for name in runs[0]:
        r = statistics.median(run[name][0] for run in runs)
        s = statistics.median(run[name][1] for run in runs)
        ratios = [run[name][1] / run[name][0] for run in runs if run[name][0]]
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
        each = ", ".join(f"{x:.2f}" for x in ratios) if ratios else "-"
        print(f"| {name} | {r:.3f} | {s:.3f} | {ratio} | {each} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        child(sys.argv[2:])
    else:
        main()
