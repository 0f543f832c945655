"""The command line as a user meets it: exit codes, one-line errors, history and diff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from syncd.config import load_config
from syncd.store.open import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "syncd.example.toml"


def syncd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_help_and_version() -> None:
    assert "mirrors, syndicates" in syncd("--help").stdout
    assert "0.1.0" in syncd("--version").stdout


def test_config_check_example_exits_0_and_masks_secrets() -> None:
    result = syncd("config", "check", "--no-secrets", "--config", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert "<secret env:SYNCD_KONRAY_PASSWORD>" in result.stdout
    assert 'key = "konray"' in result.stdout


def test_config_check_refusal_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("concurrency = 16", "concurency = 16")
    )
    result = syncd("config", "check", "--config", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == "syncd: daemon.concurency: unknown key"
    assert "Traceback" not in result.stderr


def test_missing_config_file_exit_2(tmp_path: Path) -> None:
    result = syncd("units", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "file not found" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_units_tree() -> None:
    out = syncd("units", "--config", str(EXAMPLE)).stdout
    lines = out.splitlines()
    district = next(i for i, line in enumerate(lines) if "<kon-ray>" in line)
    commune = next(i for i, line in enumerate(lines) if "<dak-ruong>" in line)
    assert commune > district
    assert lines[commune].index("Xã") > lines[district].index("Huyện")
    assert "dissolved, succeeded by quang-ngai" in out


async def test_history_show_diff(tmp_path: Path) -> None:
    cfg = tmp_path / "syncd.toml"
    cfg.write_text(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\n'
        '[[units]]\nkey="kr"\nname="Huyện Kon Rẫy"\nlevel="district"\n'
        '[[sites]]\nkey="konray"\nunit="kr"\nkind="dnn"\nbase_url="https://konray.example"\n'
    )
    store = await open_store(load_config(cfg))
    try:
        await store.ensure_site("konray", "kr", "dnn", "https://konray.example")
        key = "https://konray.example/tin-tuc/ArticleId/7/hop-ban"
        doc = {"title": "Họp ban chỉ đạo", "body": "<p>Dòng một.</p><p>Dòng hai.</p>"}
        await store.record("konray", key, doc, url=key)
        await store.record("konray", key, doc, url=key)
        await store.record(
            "konray", key, {**doc, "body": "<p>Dòng một.</p><p>Dòng ba.</p>"}, url=key
        )
        await store.tombstone("konray", key)
    finally:
        await store.close()
    history = syncd("history", "--config", str(cfg), f"konray:{key}")
    assert history.returncode == 0, history.stderr
    revs = [
        line.split()[1] for line in history.stdout.splitlines() if line.strip().startswith("rev")
    ]
    assert revs == ["3", "2", "1"]
    assert "tombstone" in history.stdout
    diff = syncd("diff", "--config", str(cfg), key, "1", "2")
    assert diff.returncode == 0
    assert "-Dòng hai." in diff.stdout and "+Dòng ba." in diff.stdout
    shown = syncd("show", "--config", str(cfg), key, "--rev", "1")
    assert "Họp ban chỉ đạo" in shown.stdout and "Dòng hai." in shown.stdout
    missing = syncd("show", "--config", str(cfg), key, "--rev", "9")
    assert missing.returncode == 3 and "no revision 9" in missing.stderr
