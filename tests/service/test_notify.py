"""sd_notify datagrams as systemd receives them, on a real AF_UNIX datagram socket."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from syncd.service.errors import ServiceEnvError
from syncd.service.notify import Notifier, format_message, watchdog_interval
from tests.service.conftest import NotifySocket


def test_lifecycle_messages_arrive_in_order(notify_socket: NotifySocket) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": notify_socket.env_value})
    assert notifier.enabled
    assert notifier.ready("mirroring 3 sites")
    assert notifier.status("run 7: 2 of 3 sites done")
    assert notifier.watchdog()
    assert notifier.stopping("shutting down")
    notifier.close()
    assert notify_socket.received() == [
        "READY=1\nSTATUS=mirroring 3 sites\n",
        "STATUS=run 7: 2 of 3 sites done\n",
        "WATCHDOG=1\n",
        "STOPPING=1\nSTATUS=shutting down\n",
    ]
    assert notifier.last_status == "shutting down"


def test_abstract_socket(abstract_notify_socket: NotifySocket) -> None:
    assert abstract_notify_socket.env_value.startswith("@")
    notifier = Notifier(abstract_notify_socket.env_value)
    notifier.ready()
    notifier.stopping()
    notifier.close()
    assert abstract_notify_socket.received() == ["READY=1\n", "STOPPING=1\n"]


def test_reloading_carries_the_monotonic_clock(notify_socket: NotifySocket) -> None:
    notifier = Notifier(notify_socket.env_value)
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    notifier.reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    notifier.ready()
    [reloading, ready] = notify_socket.received()
    lines = reloading.splitlines()
    assert lines[0] == "RELOADING=1"
    key, _, usec = lines[1].partition("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(usec) <= after
    assert ready == "READY=1\n"


def test_a_newline_in_a_status_cannot_forge_a_field(notify_socket: NotifySocket) -> None:
    Notifier(notify_socket.env_value).status("site down\nREADY=1")
    assert notify_socket.received() == ["STATUS=site down READY=1\n"]


def test_without_notify_socket_nothing_is_sent(notify_socket: NotifySocket) -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled
    assert notifier.ready("x") and notifier.watchdog() and notifier.stopping()
    assert notify_socket.received() == []


def test_a_vanished_socket_is_a_failed_send_not_a_crash(tmp_path: Path) -> None:
    notifier = Notifier(str(tmp_path / "gone.sock"))
    assert notifier.watchdog() is False


@pytest.mark.parametrize("value", ["relative/notify.sock", "vsock:2:1234", "@" + "x" * 120])
def test_unusable_notify_socket_names_the_variable(value: str) -> None:
    with pytest.raises(ServiceEnvError, match=r"^\$NOTIFY_SOCKET: "):
        Notifier(value)


def test_field_names_are_checked() -> None:
    with pytest.raises(ValueError, match="field name"):
        format_message({"ready": 1})


def test_watchdog_interval_is_half_the_period() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": str(os.getpid())}) == 1.5
    assert watchdog_interval({"WATCHDOG_USEC": "500", "WATCHDOG_PID": "42"}, pid=42) == 0.00025


def test_watchdog_interval_when_not_armed_for_us() -> None:
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": ""}) is None
    # Armed for another process: ours must not ping on its behalf.
    assert watchdog_interval({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "42"}, pid=43) is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WATCHDOG_USEC": "sixty"}, "WATCHDOG_USEC"),
        ({"WATCHDOG_USEC": "0"}, "WATCHDOG_USEC"),
        ({"WATCHDOG_USEC": "-5"}, "WATCHDOG_USEC"),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "me"}, "WATCHDOG_PID"),
    ],
)
def test_unusable_watchdog_variables(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ServiceEnvError, match=rf"^\${variable}: "):
        watchdog_interval(env, pid=1)
