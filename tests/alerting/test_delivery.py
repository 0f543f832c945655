"""Alerts reach operators through a real Apprise channel (a JSON webhook served here), once
per change, survive a failed delivery and a restart, and never repeat after one."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.errors import ConfigError
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from tests.support.served import served


@dataclass
class Receiver:
    url: str = ""
    accepting: bool = True
    got: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rx = Receiver()

    async def hook(request: web.Request) -> web.Response:
        if not rx.accepting:
            rx.refused += 1
            return web.Response(status=503)
        rx.got.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with served(app) as address:
        rx.url = f"json://{address}/hook"
        yield rx


def _config(tmp_path: Path, store_url: str, base_url: str) -> str:
    return (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        f'[[sites]]\nkey = "xa"\nunit = "kr"\nkind = "dnn"\nbase_url = "{base_url}"\n'
        "local = true\n"
        '[alerting]\nnotify = [{ env = "T_ALERT_URL" }]\nfailing_after = 1\nrepeat_every = "0s"\n'
    )


async def _event_kinds(daemon: Daemon) -> list[str]:
    async with daemon.store.engine.connect() as conn:
        query = select(t.events.c.kind).where(t.events.c.kind.like("alert.%"))
        return [r.kind for r in (await conn.execute(query.order_by(t.events.c.id))).all()]


async def test_alert_lifecycle_through_a_webhook(
    tmp_path: Path, store_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_ALERT_URL", receiver.url)
    async with SimulatedSite(seed=5, articles=3) as site:
        config = parse_config(_config(tmp_path, store_url, site.base_url))
        site.add_fault("error_500")
        daemon = Daemon(config, web=False)
        await daemon.start(schedule=False)
        try:
            results = await daemon.run_burst()
            assert [r.listing_failed is not None for r in results] == [True], results
            await daemon.alerts.check()
            [message] = receiver.got
            assert message["title"] == "[syncd] warning: site_failing xa"
            assert message["type"] == "warning"
            assert "xa: the last 1 passes could not list the site" in message["message"]
            await daemon.alerts.check()
            assert len(receiver.got) == 1  # told once, not at every round

            # the site recovers while the channel is down: the event log hears at once
            site.clear_faults()
            receiver.accepting = False
            assert (await daemon.mirror.run_site("xa")).ok
            await daemon.alerts.check()
            assert receiver.refused == 1 and len(receiver.got) == 1
            assert await _event_kinds(daemon) == ["alert.firing", "alert.sent", "alert.resolved"]
        finally:
            await daemon.stop()

        # after a restart the undelivered resolution is still owed, and delivered once
        receiver.accepting = True
        again = Daemon(config, web=False)
        await again.start(schedule=False)
        try:
            await again.alerts.check()
            await again.alerts.check()
        finally:
            await again.stop()
    assert [m["type"] for m in receiver.got] == ["warning", "success"]
    assert receiver.got[1]["title"] == "[syncd] resolved: site_failing xa"
    assert receiver.got[1]["message"].startswith("Resolved: xa: the last 1 passes")


async def test_a_bad_channel_url_is_a_config_error(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_ALERT_URL", "nosuchscheme://x")
    daemon = Daemon(parse_config(_config(tmp_path, store_url, "http://127.0.0.1:9")), web=False)
    with pytest.raises(ConfigError) as caught:
        await daemon.start(schedule=False)
    await daemon.stop()
    assert str(caught.value) == ("alerting.notify[0]: not a notification URL that Apprise knows")


async def test_cli_alerts_test_and_show(tmp_path: Path, receiver: Receiver) -> None:
    config = tmp_path / "syncd.toml"
    store = f"sqlite+aiosqlite:///{tmp_path / 's.db'}"
    config.write_text(_config(tmp_path, store, "http://127.0.0.1:9"), encoding="utf-8")
    env = {**os.environ, "T_ALERT_URL": receiver.url}

    async def syncd(*args: str) -> tuple[int, str, str]:
        # the receiver runs on this event loop, so the command must not block it
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncd", *args, "-c", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    code, out, err = await syncd("alerts", "test")
    assert (code, out.strip()) == (0, "alerting.notify[0]: sent"), err
    assert receiver.got[0]["title"] == "[syncd] info: test syncd"
    receiver.accepting = False
    code, out, err = await syncd("alerts", "test")
    assert (code, out.strip()) == (1, "alerting.notify[0]: FAILED")
    assert err == "syncd: could not deliver to alerting.notify[0]\n"
    # `alerts show` reads the store and never creates it
    code, out, err = await syncd("alerts", "show")
    assert (code, err) == (3, f"syncd: no store at {tmp_path / 's.db'} (run `syncd db upgrade`, "
                              "or check daemon.state_dir)\n")  # fmt: skip
    assert (await syncd("db", "upgrade"))[0] == 0
    code, out, err = await syncd("alerts", "show")
    assert (code, out.strip()) == (0, "no alert fires"), err
