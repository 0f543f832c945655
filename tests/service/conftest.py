"""A real notify socket: what systemd would listen on, bound in the test's own folder."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class NotifySocket:
    sock: socket.socket
    env_value: str  # what systemd would put in $NOTIFY_SOCKET

    def received(self) -> list[str]:
        """Every datagram queued so far, oldest first; sends are synchronous, so none is late."""
        messages = []
        while True:
            try:
                messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return messages


def _bound(address: str | bytes, env_value: str) -> Iterator[NotifySocket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.setblocking(False)
    try:
        yield NotifySocket(sock, env_value)
    finally:
        sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    path = str(tmp_path / "notify.sock")
    yield from _bound(path, path)


@pytest.fixture
def abstract_notify_socket() -> Iterator[NotifySocket]:
    name = f"syncd-test-{uuid.uuid4().hex}"
    yield from _bound(b"\0" + name.encode(), "@" + name)
