"""The sd_notify protocol, spoken directly: state datagrams to the socket in $NOTIFY_SOCKET.

systemd passes an AF_UNIX datagram socket address; each datagram is a few newline-separated
KEY=VALUE lines. Without $NOTIFY_SOCKET (a terminal, a test, another supervisor) every call is a
no-op, so the daemon can always call these methods.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Mapping

import structlog

from syncd.service.errors import ServiceEnvError

log = structlog.get_logger("syncd.service")

# sockaddr_un.sun_path is 108 bytes; a filesystem path also needs its terminating NUL.
_SUN_PATH_MAX = 108
_KEY = re.compile(r"[A-Z][A-Z0-9_]*\Z")


def socket_address(value: str) -> str | bytes:
    """The address to send to for a $NOTIFY_SOCKET value; '@name' is Linux's abstract namespace."""
    if value.startswith("@"):
        # The abstract namespace is marked by a leading NUL instead of the '@' shown to people.
        address = b"\0" + os.fsencode(value[1:])
        if len(address) > _SUN_PATH_MAX:
            raise ServiceEnvError("NOTIFY_SOCKET", "abstract socket name is too long")
        return address
    if value.startswith("/"):
        if len(os.fsencode(value)) >= _SUN_PATH_MAX:
            raise ServiceEnvError("NOTIFY_SOCKET", f"socket path is too long: {value}")
        return value
    raise ServiceEnvError(
        "NOTIFY_SOCKET", f"must be an absolute path or start with '@', got {value!r}"
    )


def format_message(fields: Mapping[str, str | int]) -> bytes:
    """One datagram: KEY=VALUE lines. A newline inside a value would start a bogus field."""
    lines = []
    for key, value in fields.items():
        if not _KEY.match(key):
            raise ValueError(f"not an sd_notify field name: {key!r}")
        text = " ".join(str(value).splitlines())
        lines.append(f"{key}={text}")
    return ("\n".join(lines) + "\n").encode()


def monotonic_usec() -> int:
    """CLOCK_MONOTONIC in microseconds, the clock systemd compares RELOADING=1 against."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class Notifier:
    """Sends service state to systemd; does nothing when no notify socket was given."""

    def __init__(self, address: str | None) -> None:
        """address: a $NOTIFY_SOCKET value (absolute path or '@abstract'), or None to disable."""
        self._address = socket_address(address) if address else None
        self._sock: socket.socket | None = None
        self._last_status: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    @property
    def last_status(self) -> str | None:
        """The last STATUS set through status(), ready(), stopping() or reloading()."""
        return self._last_status

    def send(self, fields: Mapping[str, str | int]) -> bool:
        """Send one datagram; True when it was handed to the socket (or there is no socket).

        A failed send is logged and swallowed: losing a status line must not stop the daemon,
        and a lost WATCHDOG=1 is exactly what the watchdog is meant to notice.
        """
        data = format_message(fields)
        if self._address is None:
            return True
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                # Never block the event loop on a stalled manager; a full queue counts as a loss.
                self._sock.setblocking(False)
            self._sock.sendto(data, self._address)
        except OSError as exc:
            log.warning("sd_notify send failed", fields=sorted(fields), error=str(exc))
            return False
        return True

    def _with_status(self, fields: dict[str, str | int], status: str | None) -> bool:
        if status is not None:
            fields["STATUS"] = status
            self._last_status = status
        return self.send(fields)

    def ready(self, status: str | None = None) -> bool:
        """Start-up (or a reload) is complete; systemd now reports the unit active."""
        return self._with_status({"READY": 1}, status)

    def status(self, text: str) -> bool:
        """A one-line free-text state shown by `systemctl status`."""
        return self._with_status({}, text)

    def watchdog(self) -> bool:
        """Tell systemd we are alive; it restarts us when WatchdogSec passes without this."""
        return self.send({"WATCHDOG": 1})

    def stopping(self, status: str | None = None) -> bool:
        """Shutdown has begun."""
        return self._with_status({"STOPPING": 1}, status)

    def reloading(self, status: str | None = None) -> bool:
        """A configuration reload has begun; send ready() when it is done."""
        return self._with_status({"RELOADING": 1, "MONOTONIC_USEC": monotonic_usec()}, status)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def parse_watchdog_interval(usec: str | None, watchdog_pid: str | None, pid: int) -> float | None:
    """Seconds between pings (half the period) from the variable values, or None when off."""
    if not usec:
        return None
    try:
        period = int(usec)
    except ValueError:
        period = 0
    if period <= 0:
        raise ServiceEnvError("WATCHDOG_USEC", f"not a positive whole number: {usec!r}")
    if watchdog_pid:
        try:
            owner = int(watchdog_pid)
        except ValueError:
            raise ServiceEnvError("WATCHDOG_PID", f"not a process id: {watchdog_pid!r}") from None
        if owner != pid:
            # The watchdog was armed for another process (a parent that exec'd a helper, say).
            return None
    # Pinging at half the period leaves one missed beat of slack before systemd acts.
    return period / 2 / 1_000_000


def watchdog_interval(
    environ: Mapping[str, str] | None = None, pid: int | None = None
) -> float | None:
    """Seconds between WATCHDOG=1 pings, or None when systemd's watchdog is not armed for us."""
    env = os.environ if environ is None else environ
    return parse_watchdog_interval(
        env.get("WATCHDOG_USEC"),
        env.get("WATCHDOG_PID"),
        os.getpid() if pid is None else pid,
    )
