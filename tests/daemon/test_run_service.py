"""`syncd run` as systemd runs it: READY, watchdog pings, STOPPING on SIGTERM, clean exit."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

from syncd.simulator import SimulatedSite


async def _receive_until(sock: socket.socket, wanted: str, seen: list[str]) -> None:
    loop = asyncio.get_running_loop()
    while not any(wanted in message for message in seen):
        try:
            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), timeout=60)
        except TimeoutError:
            raise AssertionError(f"no {wanted!r} from the daemon; got {seen}") from None
        seen.append(data.decode())


async def test_run_under_systemd_protocol(tmp_path: Path) -> None:
    async with SimulatedSite(seed=5, articles=8) as site:
        config = tmp_path / "syncd.toml"
        config.write_text(
            f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nlisten = "127.0.0.1:0"\n'
            '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
            f'[[sites]]\nkey = "kr"\nunit = "kr"\nkind = "dnn"\nbase_url = "{site.base_url}"\n'
            "local = true\n"
        )
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(tmp_path / "notify.sock"))
        notify.setblocking(False)
        env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
               "WATCHDOG_USEC": "1000000", "JOURNAL_STREAM": "8:1"}  # fmt: skip
        env.pop("WATCHDOG_PID", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncd", "run", "--config", str(config),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        seen: list[str] = []
        try:
            await _receive_until(notify, "READY=1", seen)
            await _receive_until(notify, "WATCHDOG=1", seen)
            assert proc.stdout is not None
            lines: list[str] = []
            while not any('"mirror pass"' in line for line in lines):
                line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
                assert line, "the daemon closed its output before its first pass"
                lines.append(line.decode())
            proc.send_signal(signal.SIGTERM)
            await _receive_until(notify, "STOPPING=1", seen)
            rest, err = await asyncio.wait_for(proc.communicate(), timeout=60)
            out = "".join(lines) + rest.decode()
        finally:
            if proc.returncode is None:
                proc.kill()
            notify.close()
    assert proc.returncode == 0, err.decode()
    assert any("STATUS=mirroring 1 sites" in m for m in seen)
    # under systemd (JOURNAL_STREAM set) the log is JSON lines
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(r.get("event") == "daemon started" for r in records)
    assert any(r.get("event") == "mirror pass" and r.get("site") == "kr" for r in records)
