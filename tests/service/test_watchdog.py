"""The watchdog pings systemd only while the health check passes, seen on a real socket."""

from __future__ import annotations

import asyncio

import pytest

from syncd.service.notify import Notifier
from syncd.service.watchdog import Health, Watchdog
from tests.service.conftest import NotifySocket

PING = "WATCHDOG=1\n"


class ScriptedCheck:
    """Answers from a script, then keeps answering the last one and signals it ran out."""

    def __init__(self, *answers: bool | Health) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.exhausted = asyncio.Event()

    async def __call__(self) -> bool | Health:
        self.calls += 1
        if self.calls >= len(self.answers):
            self.exhausted.set()
            return self.answers[-1]
        return self.answers[self.calls - 1]


async def test_pings_while_healthy_and_none_after_it_turns_unhealthy(
    notify_socket: NotifySocket,
) -> None:
    notifier = Notifier(notify_socket.env_value)
    # Three healthy beats, then unhealthy for the rest (several more beats run before stop).
    check = ScriptedCheck(True, True, True, False, False, False, False)
    watchdog = Watchdog(notifier, check, interval=0.001)
    notifier.ready("running")
    watchdog.start()
    assert watchdog.running
    await asyncio.wait_for(check.exhausted.wait(), timeout=30)
    await watchdog.stop()
    assert not watchdog.running
    notifier.stopping()
    assert notify_socket.received() == [
        "READY=1\nSTATUS=running\n",
        PING,
        PING,
        PING,
        "STATUS=unhealthy, watchdog pings stopped: health check failed\n",
        "STOPPING=1\n",
    ]
    assert check.calls >= 7
    assert watchdog.health == Health(False, "health check failed")


async def test_recovery_resumes_pings_and_restores_the_status(
    abstract_notify_socket: NotifySocket,
) -> None:
    notifier = Notifier(abstract_notify_socket.env_value)
    notifier.status("mirroring 3 sites")
    check = ScriptedCheck(
        True,
        Health(False, "store unreachable: connection refused"),
        Health(False, "store unreachable: connection refused"),
        Health(False, "scheduler stopped"),
        True,
    )
    watchdog = Watchdog(notifier, check, interval=30)
    for _ in range(5):
        await watchdog.beat()
    assert abstract_notify_socket.received() == [
        "STATUS=mirroring 3 sites\n",
        PING,
        # Said once, not on every beat, until the reason changes.
        "STATUS=unhealthy, watchdog pings stopped: store unreachable: connection refused\n",
        "STATUS=unhealthy, watchdog pings stopped: scheduler stopped\n",
        PING,
        "STATUS=mirroring 3 sites\n",
    ]


async def test_a_failing_check_is_unhealthy_with_its_error(notify_socket: NotifySocket) -> None:
    async def broken() -> bool:
        raise ConnectionRefusedError("store at 127.0.0.1:5432 refused")

    watchdog = Watchdog(Notifier(notify_socket.env_value), broken, interval=30)
    verdict = await watchdog.beat()
    assert verdict == Health(
        False, "health check failed: ConnectionRefusedError: store at 127.0.0.1:5432 refused"
    )
    assert notify_socket.received() == [
        f"STATUS=unhealthy, watchdog pings stopped: {verdict.reason}\n"
    ]


async def test_a_hanging_check_is_unhealthy(notify_socket: NotifySocket) -> None:
    never = asyncio.Event()

    async def hangs() -> bool:
        await never.wait()
        return True

    watchdog = Watchdog(Notifier(notify_socket.env_value), hangs, interval=30, check_timeout=0.01)
    verdict = await watchdog.beat()
    assert not verdict.ok
    assert "timed out" in verdict.reason
    assert PING not in notify_socket.received()


async def test_start_twice_is_refused_and_stop_is_idempotent(notify_socket: NotifySocket) -> None:
    watchdog = Watchdog(Notifier(notify_socket.env_value), ScriptedCheck(True), interval=30)
    await watchdog.stop()
    watchdog.start()
    with pytest.raises(RuntimeError, match="already started"):
        watchdog.start()
    await watchdog.stop()
    await watchdog.stop()
    assert not watchdog.running


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Watchdog(Notifier(None), ScriptedCheck(True), interval=0)
