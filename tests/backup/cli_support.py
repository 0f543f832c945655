"""Running `syncd` as a separate process, as an administrator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a new machine: no config variable, no keys, only what is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "AWS_"))}
    env.update(extra)
    return env


def syncd(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_main(
    args: list[str], env: dict[str, str], cwd: Path, capsys: Any, monkeypatch: Any
) -> tuple[int, str, str]:
    """`syncd ARGS` in this process (no interpreter start-up): status, stdout, stderr."""
    from syncd.cli.main import main

    for name in [k for k in os.environ if k.startswith(("SYNCD_", "AWS_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["syncd", *args])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write_config(path: Path, state: Path, target: str) -> Path:
    path.write_text(
        f'[daemon]\nstate_dir = "{state}"\n\n[[backup_targets]]\n{target}'
        'passphrase = { env = "SYNCD_TEST_PASSPHRASE" }\n'
    )
    return path


def local_target(path: Path) -> str:
    return f'key = "nas"\nkind = "local"\npath = "{path}"\n'


def s3_target(endpoint: str, bucket: str) -> str:
    return (
        f'key = "offsite"\nkind = "s3"\nendpoint = "{endpoint}"\nbucket = "{bucket}"\n'
        'prefix = "syncd"\naccess_key = { env = "TEST_S3_KEY" }\n'
        'secret_key = { env = "TEST_S3_SECRET" }\n'
    )
