"""Running `syncd` as a separate process, as an operator would, and reading what it said."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1


def _as_service_user() -> None:
    # As root (a container, CI), drop the capability that ignores file modes, so a folder made
    # read-only with chmod is read-only for the command too, as for the service's own user.
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def refused(self, code: int, *words: str) -> str:
        """Assert the command failed with `code` and one line on stderr (no traceback) holding
        every one of `words`; return that line."""
        lines = self.err.splitlines()
        assert self.code == code, f"exit {self.code}, not {code}; stderr: {self.err}"
        assert len(lines) == 1, f"stderr is not one line: {self.err}"
        assert lines[0].startswith("syncd: "), lines[0]
        for word in words:
            assert word in lines[0], f"{word!r} not in {lines[0]!r}"
        return lines[0]


@dataclass
class Cli:
    """`cli("show", "7")` runs `python -m syncd show 7` in `cwd` with a clean environment:
    no SYNCD_ or AWS_ variable from the developer's shell, only what `env` adds."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 120, **env: str) -> Outcome:
        done = subprocess.run(
            [sys.executable, "-m", "syncd", *args],
            cwd=self.cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_as_service_user,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "AWS_"))}
