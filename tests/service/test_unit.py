"""The shipped systemd unit: its directives, `systemd-analyze verify` and the security score.

systemd-analyze comes with Debian's systemd package, which the project's machines carry; when it
is missing these tests fail and say how to install it rather than skipping.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "syncd.service"
EXEC_PATH = "/usr/local/bin/syncd"
# systemd-analyze's exposure scale, 0 (locked down) to 10 (unprotected); 2 and below is "OK".
MAX_EXPOSURE = 2.0


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sections to (key, value) pairs in order; keys repeat (SystemCallFilter=), so no dict."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"directive outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not a directive: {line}"
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: apt-get install -y systemd"
    return tool


def test_unit_declares_the_service_contract() -> None:
    service = parse_unit(UNIT.read_text())["Service"]
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "ExecStart": f"{EXEC_PATH} run --config /etc/syncd/syncd.toml",
        "WatchdogSec": "60",
        "Restart": "on-failure",
        "RestartSec": "10",
        "RestartPreventExitStatus": "2",
        "DynamicUser": "yes",
        "StateDirectory": "syncd",
        # ceilings justified in the unit's comment and docs/benchmarks.md
        "MemoryHigh": "512M",
        "MemoryMax": "768M",
        "TasksMax": "128",
    }
    for key, value in expected.items():
        assert values(service, key) == [value], key
    families = " ".join(values(service, "RestrictAddressFamilies")).split()
    assert sorted(families) == ["AF_INET", "AF_INET6", "AF_UNIX"]
    # Secrets are shown as commented examples, never configured with real paths by default.
    assert values(service, "LoadCredential") == []
    assert re.search(r"^#LoadCredential=\S+:/etc/syncd/", UNIT.read_text(), re.MULTILINE)


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify insists the ExecStart program exists; stand one in, keep every other line as shipped.
    program = tmp_path / "syncd"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    unit = tmp_path / "syncd.service"
    unit.write_text(UNIT.read_text().replace(EXEC_PATH, str(program)))
    done = subprocess.run(
        [systemd_analyze(), "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # verify exits 0 even for unknown keys or bad values, so any message at all is a failure.
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_unit_sandboxing_scores_ok() -> None:
    done = subprocess.run(
        [
            systemd_analyze(),
            "security",
            "--offline=true",
            f"--threshold={int(MAX_EXPOSURE * 10)}",
            str(UNIT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"Overall exposure level for syncd\.service: (\d+\.\d) (\w+)", done.stdout)
    assert found, done.stdout + done.stderr
    score, verdict = float(found.group(1)), found.group(2)
    assert score <= MAX_EXPOSURE
    assert verdict == "OK"
    assert done.returncode == 0, done.stderr
