"""Prometheus's own `promtool`, to check and unit-test the shipped alert rules.

Taken from the PATH when there is one; otherwise the binary alone is extracted from Debian's
`prometheus` package (downloaded, never installed, so no server is started) into the
virtualenv, once per checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE = Path(sys.prefix) / "tools" / "promtool"


class PromtoolUnavailable(RuntimeError):
    pass


def promtool() -> Path:
    found = shutil.which("promtool")
    if found:
        return Path(found)
    if not CACHE.exists():
        _extract_from_debian(CACHE)
    return CACHE


def _extract_from_debian(dest: Path) -> None:
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise PromtoolUnavailable("promtool is not on PATH and apt-get/dpkg-deb are missing")
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(
            ["apt-get", "download", "prometheus"], cwd=tmp, capture_output=True, text=True
        )
        debs = list(Path(tmp).glob("prometheus_*.deb"))
        if got.returncode != 0 or not debs:
            raise PromtoolUnavailable(f"apt-get download prometheus failed: {got.stderr.strip()}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_suffix(".part")
        with part.open("wb") as out:
            tar = subprocess.Popen(
                ["dpkg-deb", "--fsys-tarfile", str(debs[0])], stdout=subprocess.PIPE
            )
            subprocess.run(
                ["tar", "-xO", "./usr/bin/promtool"], stdin=tar.stdout, stdout=out, check=True
            )
            if tar.wait() != 0:
                raise PromtoolUnavailable(f"cannot unpack {debs[0].name}")
        part.chmod(0o755)
        part.rename(dest)  # whole or not at all: an interrupted extraction is redone
