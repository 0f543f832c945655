"""A storage target in a local folder (a mounted disk, a NAS share, a test's tmp_path).

Layout under `root`: objects at their names; bookkeeping in `.target/` (temp files, retention
sidecars, the lock file), which `list` never shows. Writes are crash-safe (temp file, fsync,
rename, fsync the folder). The etag of an object is the SHA-256 of its bytes, so it can be
recomputed from the file alone and two writers of identical bytes agree on it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from backups.errors import ObjectLocked, ObjectMissing, PreconditionFailed, TargetError
from backups.targets.base import ObjectInfo, PutData
from backups.targets.names import check_name

_META = ".target"
# Files given to `put`, and objects digested, go through in pieces of this size (below
# glibc's mmap threshold as the pack writer sets it, so the heap reuses the buffer).
_COPY_CHUNK = 256 * 1024


def etag_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalTarget:
    """Implements `backups.targets.base.Target` on a folder."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._tmp = self.root / _META / "tmp"
        self._locks = self.root / _META / "locks"
        self._mutex_path = self.root / _META / "write.lock"
        self._prepared = False

    def _prepare(self) -> None:
        """Make the bookkeeping folders at the first write, not on opening: reading (verify,
        restore) must work in a folder this process may not write to."""
        if self._prepared:
            return
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            self._locks.mkdir(parents=True, exist_ok=True)
            self._mutex_path.touch(exist_ok=True)
        except OSError as exc:
            raise TargetError(f"{self.root} cannot be written to: {exc.strerror}") from None
        self._prepared = True

    def __repr__(self) -> str:
        return f"LocalTarget({str(self.root)!r})"

    # --- paths and primitives ---------------------------------------------------------

    def _path(self, name: str) -> Path:
        check_name(name)
        if name.split("/", 1)[0] == _META:
            raise ValueError(f"object name {name!r} is reserved by the local target")
        return self.root / name

    @contextmanager
    def _mutex(self) -> Iterator[None]:
        """An exclusive flock on one file: serialises check-then-replace steps between
        threads and between processes (each open() is its own lock holder)."""
        self._prepare()
        with self._mutex_path.open("rb") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _write_temp(self, data: PutData) -> Path:
        self._prepare()
        fd, tmp = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                if isinstance(data, bytes | bytearray | memoryview):
                    fh.write(data)
                else:
                    shutil.copyfileobj(data, fh, _COPY_CHUNK)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp)

    def _locked_until(self, name: str) -> datetime | None:
        try:
            text = (self._locks / name).read_text()
        except (FileNotFoundError, NotADirectoryError):
            return None
        until = datetime.fromisoformat(text.strip())
        return until if until > datetime.now(UTC) else None

    def _refuse_if_locked(self, name: str, action: str) -> None:
        until = self._locked_until(name)
        if until is not None:
            raise ObjectLocked(f"cannot {action} {name}: locked until {until.isoformat()}")

    def _install(self, tmp: Path, path: Path, *, replace: bool) -> None:
        """Move a durable temp file to its name; without `replace`, lose to an existing one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if replace:
                os.replace(tmp, path)
            else:
                # link() fails if the name exists, atomically, even across processes
                os.link(tmp, path)
        except FileExistsError as exc:
            raise PreconditionFailed(f"{path.relative_to(self.root)} already exists") from exc
        except IsADirectoryError as exc:
            raise TargetError(f"{path.relative_to(self.root)} is a folder of objects") from exc
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)

    # --- sync bodies ------------------------------------------------------------------

    def _put(self, name: str, data: PutData) -> None:
        path = self._path(name)
        tmp = self._write_temp(data)
        try:
            with self._mutex():
                self._refuse_if_locked(name, "overwrite")
                self._install(tmp, path, replace=True)
        finally:
            tmp.unlink(missing_ok=True)

    def _put_if_absent(self, name: str, data: bytes) -> None:
        path = self._path(name)
        self._install(self._write_temp(data), path, replace=False)

    def _put_if_match(self, name: str, data: bytes, etag: str) -> None:
        path = self._path(name)
        tmp = self._write_temp(data)
        try:
            with self._mutex():
                try:
                    current = etag_of(path.read_bytes())
                except FileNotFoundError as exc:
                    raise PreconditionFailed(f"{name} is absent, expected etag {etag}") from exc
                if current != etag:
                    raise PreconditionFailed(f"{name} changed: etag {current}, expected {etag}")
                self._refuse_if_locked(name, "overwrite")
                self._install(tmp, path, replace=True)
        finally:
            tmp.unlink(missing_ok=True)

    def _get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectMissing(f"{name} is not in {self.root}") from exc
        except PermissionError as exc:
            raise TargetError(f"{name} in {self.root} cannot be read: {exc.strerror}") from None

    def _digest(self, name: str) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        try:
            with self._path(name).open("rb") as fh:
                while chunk := fh.read(_COPY_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectMissing(f"{name} is not in {self.root}") from exc
        except PermissionError as exc:
            raise TargetError(f"{name} in {self.root} cannot be read: {exc.strerror}") from None
        return size, digest.hexdigest()

    def _head(self, name: str) -> ObjectInfo | None:
        try:
            size, etag = self._digest(name)  # the etag is the SHA-256: no need to hold the file
            modified = datetime.fromtimestamp(self._path(name).stat().st_mtime, UTC)
        except (ObjectMissing, FileNotFoundError):
            return None
        return ObjectInfo(name=name, size=size, etag=etag, modified=modified, sha256=etag)

    def _list(self, prefix: str) -> list[ObjectInfo]:
        # walk only the deepest folder the prefix pins down, then filter by string prefix
        # (S3 semantics: "data/a" matches "data/ab/...")
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / base if base else self.root
        found: list[ObjectInfo] = []
        for dirpath, dirnames, filenames in os.walk(start):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            if rel_dir == ".":
                rel_dir = ""
                dirnames[:] = [d for d in dirnames if d != _META]
            for filename in filenames:
                name = f"{rel_dir}/{filename}" if rel_dir else filename
                if name.startswith(prefix):
                    size = (Path(dirpath) / filename).stat().st_size
                    found.append(ObjectInfo(name=name, size=size))
        found.sort(key=lambda info: info.name.encode())
        return found

    def _delete(self, name: str) -> None:
        path = self._path(name)
        with self._mutex():
            self._refuse_if_locked(name, "delete")
            try:
                path.unlink()
            except FileNotFoundError:
                return
            (self._locks / name).unlink(missing_ok=True)
        _fsync_dir(path.parent)

    def _lock_until(self, name: str, until: datetime) -> None:
        if until.tzinfo is None:
            raise ValueError("lock_until needs a timezone-aware datetime")
        path = self._path(name)
        with self._mutex():
            if not path.is_file():
                raise ObjectMissing(f"cannot lock {name}: it is not in {self.root}")
            current = self._locked_until(name)
            if current is not None and until < current:
                raise ObjectLocked(
                    f"cannot shorten the lock on {name}: locked until {current.isoformat()}"
                )
            sidecar = self._locks / name
            tmp = self._write_temp(until.astimezone(UTC).isoformat().encode())
            self._install(tmp, sidecar, replace=True)

    # --- the Target interface ---------------------------------------------------------

    async def put(self, name: str, data: PutData) -> None:
        await asyncio.to_thread(self._put, name, data)

    async def put_if_absent(self, name: str, data: bytes) -> None:
        await asyncio.to_thread(self._put_if_absent, name, data)

    async def put_if_match(self, name: str, data: bytes, etag: str | None) -> str:
        if etag is None:
            await self.put_if_absent(name, data)
        else:
            await asyncio.to_thread(self._put_if_match, name, data, etag)
        return etag_of(data)

    async def get(self, name: str) -> bytes:
        return await asyncio.to_thread(self._get, name)

    async def get_with_etag(self, name: str) -> tuple[bytes, str]:
        data = await self.get(name)
        return data, etag_of(data)

    async def digest(self, name: str) -> tuple[int, str]:
        return await asyncio.to_thread(self._digest, name)

    async def head(self, name: str) -> ObjectInfo | None:
        return await asyncio.to_thread(self._head, name)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        for info in await asyncio.to_thread(self._list, prefix):
            yield info

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self._delete, name)

    async def lock_until(self, name: str, until: datetime) -> None:
        await asyncio.to_thread(self._lock_until, name, until)

    async def close(self) -> None:
        return None
