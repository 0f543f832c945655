"""`syncd export` as a user meets it: a summary on success, one line and non-zero on errors.

The command runs in this process through the real entry point (syncd.cli.main.main), which
turns errors into messages and exit codes exactly as the installed `syncd` does."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from syncd.cli.main import main
from syncd.config import load_config
from syncd.store.open import open_store
from tests.export.sample import AS_OF, Sample, check_links, populate


async def _prepare(cfg: Path) -> Sample:
    store = await open_store(load_config(cfg))
    try:
        await store.ensure_site("konray", "kr", "dnn", "https://konray.example")
        return await populate(store, filler=1)
    finally:
        await store.close()


def _syncd(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["syncd", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_export_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncd.toml"
    cfg.write_text(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\n'
        '[[units]]\nkey="kr"\nname="Huyện Kon Rẫy"\nlevel="district"\n'
        '[[sites]]\nkey="konray"\nunit="kr"\nkind="dnn"\nbase_url="https://konray.example"\n',
        encoding="utf-8",
    )
    sample = asyncio.run(_prepare(cfg))
    out, busy = tmp_path / "copy", tmp_path / "busy"
    busy.mkdir()
    (busy / "old.html").write_text("old", encoding="utf-8")

    def export(*args: str) -> tuple[int, str, str]:
        return _syncd(monkeypatch, capsys, "export", "--config", str(cfg), *args)

    code, stdout, stderr = export("konray", "--as-of", AS_OF, "--out", str(out))
    assert code == 0, stderr
    assert stdout.startswith("exported konray as of 2026-02-01 23:59:59 UTC (static): ")
    assert f"{len(sample.kept)} articles, 2 media files" in stdout
    assert "1 media files were not in the store" in stdout
    check_links(out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>Huyện Kon Rẫy</title>" in index  # the unit's name from the configuration

    code, stdout, stderr = export("konray", "--format", "warc", "--out", str(tmp_path / "w"))
    assert code == 0, stderr
    assert "(warc)" in stdout and len(list((tmp_path / "w").glob("*.warc.gz"))) == 1

    failures = {
        "unknown site": (["nowhere", "--out", str(tmp_path / "x")], 3, "no site 'nowhere'"),
        "bad date": (["konray", "--as-of", "1/2/2026", "--out", str(tmp_path / "x")], 2, "--as-of"),
        "not empty": (["konray", "--out", str(busy)], 1, "busy exists and is not empty"),
        "a file": (["konray", "--out", str(busy / "old.html")], 1, "is not a folder"),
    }
    for name, (args, expected, message) in failures.items():
        code, stdout, stderr = export(*args)
        assert code == expected, (name, stderr)
        assert len(stderr.strip().splitlines()) == 1, (name, stderr)
        assert stderr.startswith("syncd: ") and message in stderr, (name, stderr)
        assert "Traceback" not in stderr and not stdout
    assert not (tmp_path / "x").exists()
    assert [p.name for p in busy.iterdir()] == ["old.html"]
