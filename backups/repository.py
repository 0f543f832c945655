"""The backup repository: content-addressed, encrypted objects in packs, with snapshot history.

Write order on commit: packs, then the index (twice), then the manifest (twice), then HEAD with
a conditional write. A crash before the manifest leaves the previous snapshot the newest, and
what was written is unreferenced garbage that prune removes later; a crash after it leaves a
complete snapshot, the newest (HEAD is only a hint: the newest is found from the manifests),
with HEAD behind until the next commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import socket
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from backups.config import CONFIG_PATHS, RepoConfig, key_paths, read_config_copies
from backups.copies import copy_paths, read_either, rewrite_bad_copies, write_twice
from backups.crypto import (
    ScryptParams,
    export_recovery_key,
    new_master_key,
    parse_recovery_key,
    unwrap_master_key,
    wrap_master_key,
)
from backups.discovery import ManifestScan, head_problem, newest, scan_manifests
from backups.errors import (
    BackupError,
    ObjectDamaged,
    ObjectLocked,
    ObjectMissing,
    PreconditionFailed,
    RebaseConflict,
    RepositoryCorrupt,
    RepositoryExists,
    WrongKey,
)
from backups.history import detached, walk_chain
from backups.index import Index, IndexDoc
from backups.layout import repository_object
from backups.manifest import HEAD_PATH, ChainWalk, Manifest, decode_head, encode_head
from backups.packs import FLAG_REFS, PACK_SIZE, REFS_TYPE, read_trailer
from backups.reader import Reader
from backups.targets.base import Target
from backups.writer import PackWriter


@dataclass(frozen=True)
class Snapshot:
    id: str
    manifest: str
    time: datetime
    host: str
    tags: tuple[str, ...]
    parent: str | None
    tree: dict[str, str]
    generation: int = 0
    store: str | None = None
    # Off the chain from the newest manifest (beyond a lost manifest, or a side branch).
    detached: bool = False


def _snapshot(name: str, m: Manifest, generation: int, detached: bool = False) -> Snapshot:
    return Snapshot(
        m.id, name, m.time, m.host, m.tags, m.parent, dict(m.tree), generation, m.store, detached
    )


@dataclass
class _State:
    """The newest manifest (found from the manifests, HEAD only a hint), HEAD's etag for the
    next conditional write, and the objects the newest manifest makes reachable."""

    head: str | None
    etag: str | None
    base: Manifest | None
    index: Index
    problems: list[str]
    lost_indexes: list[str] = field(default_factory=list)
    scan: ManifestScan = field(default_factory=ManifestScan)
    head_problem: str | None = None  # what is wrong with the HEAD object, if anything

    @property
    def generation(self) -> int:
        return self.scan.generations.get(self.head, 0) if self.head else 0


async def _read_head(
    target: Target, key: bytes, config: RepoConfig
) -> tuple[str | None, str | None, str | None]:
    """HEAD's manifest name, its etag, and what is wrong with it (None: nothing)."""
    try:
        sealed, etag = await target.get_with_etag(HEAD_PATH)
    except ObjectMissing:
        return None, None, "HEAD is missing"
    try:
        return decode_head(key, config.id, sealed), etag, None
    except ObjectDamaged as exc:
        # Keep the damaged HEAD's etag: the next commit replaces it through the usual race check.
        return None, etag, str(exc)


async def _load_state(target: Target, key: bytes, config: RepoConfig) -> _State:
    scan = await scan_manifests(target, key)
    hint, etag, damage = await _read_head(target, key, config)
    head = newest(scan, hint)
    problem = head_problem(scan, hint, damage, head)
    problems = [problem] if problem else []
    if head is None:
        return _State(None, etag, None, Index(), problems, scan=scan, head_problem=problem)
    base = scan.manifests[head]
    index = Index()
    lost: list[str] = []
    for name in base.indexes:
        try:
            raw_index, _ = await read_either(target, key, "index", name)
            index.merge(IndexDoc.decode(raw_index, f"index/{name}"))
        except (RepositoryCorrupt, ObjectDamaged) as exc:
            # Reading on past a lost index: its objects read as missing, everything else works.
            problems.append(str(exc))
            lost.append(name)
    return _State(head, etag, base, index, problems, lost, scan, problem)


class Repository:
    def __init__(
        self,
        target: Target,
        key: bytes,
        config: RepoConfig,
        state: _State,
        lock_for: timedelta | None = None,
    ) -> None:
        self.target = target
        # With Object Lock, every pack, index and manifest written is made undeletable for
        # this long, so a stolen credential cannot erase history; HEAD stays replaceable.
        self.lock_for = lock_for
        self.config = config
        self._key = key
        self._adopt(state)
        self._unpublished: list[str] = []
        self._deduped: set[str] = set()
        # Packs dropped from the index this session (lost or damaged): the next publish
        # replaces the inherited indexes, which still list them, by one of its own.
        self._forgotten: set[str] = set()
        # Objects indexed from pack trailers since the last publish, which will index them.
        self.adopted_objects = 0

    def _adopt(self, state: _State) -> None:
        self._state = state
        self.load_problems = list(state.problems)
        self.reader = Reader(self.target, self._key, state.index)
        dicts = dict(state.base.dicts) if state.base else {}
        self._writer = PackWriter(
            self.target,
            self._key,
            self.config.pack_size,
            state.index,
            self.reader,
            dicts,
            self.lock_for,
        )

    # --- opening -------------------------------------------------------------------------

    @classmethod
    async def init(
        cls,
        target: Target,
        passphrase: str,
        *,
        pack_size: int = PACK_SIZE,
        scrypt: ScryptParams | None = None,
        lock_for: timedelta | None = None,
    ) -> Repository:
        present = await repository_object(target)
        if present is not None:
            raise RepositoryExists(
                f"this target already holds a backup repository ({present} is there); "
                "never initialise over it: run `syncd backup repair` to bring it back"
            )
        master = new_master_key()
        key_id = secrets.token_hex(8)
        config = RepoConfig.create(secrets.token_hex(16), pack_size, (key_id,), master)
        wrapped = wrap_master_key(master, passphrase, key_id, scrypt)
        for path in key_paths(key_id):
            await target.put(path, wrapped)
        await target.put(CONFIG_PATHS[1], config.encode())
        # The primary config goes last and only if absent: two racing inits cannot both win.
        try:
            await target.put_if_absent(CONFIG_PATHS[0], config.encode())
        except PreconditionFailed:
            raise RepositoryExists("a backup repository already exists at this target") from None
        return cls(target, master, config, _State(None, None, None, Index(), []), lock_for)

    @classmethod
    async def open(
        cls,
        target: Target,
        passphrase: str | None = None,
        *,
        recovery_key: str | None = None,
        lock_for: timedelta | None = None,
    ) -> Repository:
        if (passphrase is None) == (recovery_key is None):
            raise ValueError("give exactly one of passphrase or recovery_key")
        copies = await read_config_copies(target)
        if recovery_key is not None:
            master = parse_recovery_key(recovery_key)
        else:
            assert passphrase is not None
            master = await unwrap_any(target, copies.first().key_ids, passphrase)
        config = copies.opened_by(master)
        state = await _load_state(target, master, config)
        repo = cls(target, master, config, state, lock_for)
        if state.lost_indexes:
            # Both copies of an index lost: its packs describe themselves, so nothing is lost
            # while they are intact (and prune must not take them for unindexed leftovers).
            await repo.reindex_unindexed_packs()
        return repo

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def head(self) -> str | None:
        """Name of the newest manifest (None in an empty repository)."""
        return self._state.head

    @property
    def live_indexes(self) -> tuple[str, ...]:
        """Index objects listed by the HEAD manifest (plus this session's unpublished ones)."""
        base = self._state.base.indexes if self._state.base else ()
        live = [n for n in base if n not in self._state.lost_indexes]
        return tuple(dict.fromkeys([*live, *self._unpublished]))

    @property
    def dicts(self) -> dict[str, str]:
        """Dictionary of each group (group -> dictionary id) the next manifest will list."""
        return dict(self._writer.dicts)

    def export_recovery_key(self) -> str:
        return export_recovery_key(self._key)

    # --- writing -------------------------------------------------------------------------

    def has(self, object_id: str) -> bool:
        return object_id in self._state.index or self._writer.pending(object_id)

    async def add(
        self, object_id: str, data: bytes, type: str, dict_group: str | None = None
    ) -> bool:
        """Store `data` (whose sha256 hex is `object_id`); False when it was already there."""
        if object_id in self._state.index:
            self._deduped.add(object_id)
            return False
        if self._writer.pending(object_id):
            return False
        if hashlib.sha256(data).hexdigest() != object_id:
            raise ValueError(f"object id {object_id} is not the sha256 of the data given")
        await self._writer.add(object_id, data, type, dict_group)
        return True

    async def add_refs(self, object_ids: Iterable[str]) -> str:
        """Store a list of object ids that prune follows; returns the list's own id."""
        body = b"".join(bytes.fromhex(i) for i in sorted(set(object_ids)))
        object_id = hashlib.sha256(body).hexdigest()
        await self.add(object_id, body, REFS_TYPE)
        return object_id

    async def flush(self) -> None:
        await self._writer.flush()

    def forget_packs(self, packs: set[str]) -> None:
        """Drop `packs` from the index: their objects count as absent from now on, so the
        next backup stores again whatever of them it still has."""
        self.index.drop_packs(packs)
        self._forgotten |= packs

    async def add_record(self, object_id: str, record: bytes, flags: int) -> None:
        """Store an already sealed record (one salvaged from a damaged pack)."""
        await self._writer.add_record(object_id, record, flags)

    async def commit_snapshot(
        self,
        tree: Mapping[str, str],
        tags: Sequence[str] = (),
        *,
        host: str | None = None,
        time: datetime | None = None,
        store: str | None = None,
    ) -> str:
        """Publish a snapshot whose root is `tree` (logical name -> object id); its id.

        `store` names the store the snapshot was taken of (recorded in the manifest)."""
        await self.flush()
        missing = [name for name, oid in tree.items() if not self.has(oid)]
        if missing:
            raise ValueError(f"tree entries refer to objects not in the repository: {missing[:5]}")
        manifest = Manifest(
            kind="snapshot",
            id=secrets.token_hex(8),
            time=time or datetime.now(UTC),
            parent=self._state.head,
            host=host if host is not None else socket.gethostname(),
            tags=tuple(tags),
            tree=dict(tree),
            store=store,
        )
        await self.publish(manifest)
        return manifest.id

    async def publish(self, manifest: Manifest, indexes: Sequence[str] | None = None) -> str:
        """Write pending index + `manifest` (with live indexes and dicts) and advance HEAD.

        `indexes` replaces the inherited list of live index objects (prune uses it).
        """
        session = self._writer.take_session()
        if self._forgotten and indexes is None:
            doc = self.index.to_doc()
            name = await write_twice(self.target, self._key, "index", doc.encode(), self.lock_for)
            live: tuple[str, ...] = (name,)
        else:
            if session.packs:
                name = await write_twice(
                    self.target, self._key, "index", session.encode(), self.lock_for
                )
                self._unpublished.append(name)
            if indexes is None:
                inherited = self._state.base.indexes if self._state.base else ()
                indexes = [n for n in inherited if n not in self._state.lost_indexes]
            live = tuple(dict.fromkeys([*indexes, *self._unpublished]))
        generation = self._state.generation + 1
        manifest = replace(
            manifest, indexes=live, dicts=dict(self._writer.dicts), generation=generation
        )
        await self._heal_manifest_copies(self._state.head)
        name = await write_twice(
            self.target, self._key, "snapshot", manifest.encode(), self.lock_for
        )
        try:
            etag = await self.target.put_if_match(
                HEAD_PATH, encode_head(self._key, self.id, name), self._state.etag
            )
        except PreconditionFailed:
            # Never published: left behind it would stand beside the winner's manifest.
            await self._delete_manifest(name)
            raise
        scan = self._state.scan
        scan.add(name, manifest, generation)
        self._state = _State(
            name, etag, manifest, self._state.index, self._state.problems, scan=scan
        )
        self._unpublished = []
        self._deduped = set()
        self._forgotten = set()
        self.adopted_objects = 0
        return name

    async def rewrite_head(self) -> bool:
        """Point HEAD at the newest manifest when it does not; whether anything was written."""
        if self._state.head_problem is None:
            return False
        if self._state.head is None:
            await self.target.delete(HEAD_PATH)  # it names nothing that is still there
            self._state.etag = None
        else:
            sealed = encode_head(self._key, self.id, self._state.head)
            self._state.etag = await self.target.put_if_match(HEAD_PATH, sealed, self._state.etag)
        self._state.head_problem = None
        return True

    async def _heal_manifest_copies(self, name: str | None) -> None:
        """Rewrite a lost or damaged copy of the manifest a new one is about to follow."""
        if name is not None and name in self._state.scan.bad_copies:
            problems = self._state.scan.bad_copies.pop(name)
            await rewrite_bad_copies(self.target, "snapshot", name, problems)

    async def _delete_manifest(self, name: str) -> None:
        for path in copy_paths("snapshot", name):
            with contextlib.suppress(ObjectLocked):
                await self.target.delete(path)

    def manifests_deleted(self, names: Iterable[str]) -> None:
        """Forget has deleted these manifests: the scan no longer holds them."""
        for name in names:
            self._state.scan.discard(name)

    async def rebase(self) -> None:
        """After losing a HEAD race: reload HEAD and keep this session's written objects."""
        await self.flush()
        remote = await _load_state(self.target, self._key, self.config)
        assert remote.base is not None  # someone advanced HEAD, so there is a manifest
        remote.index.drop_packs(self._forgotten)
        for name in self._unpublished:
            raw, _ = await read_either(self.target, self._key, "index", name)
            remote.index.merge(IndexDoc.decode(raw, f"index/{name}"))
        lost = [oid for oid in self._deduped if oid not in remote.index]
        if lost:
            raise RebaseConflict(f"{len(lost)} reused objects were pruned meanwhile; start over")
        own_dicts = self._writer.dicts_created
        unpublished, deduped = self._unpublished, self._deduped
        self._adopt(remote)
        for group, dict_id in own_dicts.items():
            # Objects already sealed with our dictionary keep it reachable under a side name.
            key = group if group not in self._writer.dicts else f"{group}~{dict_id[:12]}"
            self._writer.dicts.setdefault(key, dict_id)
        self._unpublished, self._deduped = unpublished, deduped

    async def reindex_unindexed_packs(self) -> int:
        """Index packs that no live index knows, from their own trailers; objects found.

        Recovers the objects of an index lost in both copies (and the leftovers of crashed
        sessions); the next commit writes them into a new index.
        """
        known = set(self.index.pack_sizes())
        found = 0
        async for info in self.target.list("data/"):
            name = info.name.rsplit("/", 1)[-1]
            if name in known:
                continue
            try:
                data = await self.target.get(info.name)
                if hashlib.sha256(data).hexdigest() != name:
                    continue
                entries = read_trailer(self._key, name, data)
            except BackupError:
                continue  # a damaged unindexed pack: nothing trustworthy to add
            self.index.add_pack(name, len(data), entries)
            self._writer.session.add_pack(name, len(data), entries)
            found += len(entries)
        self.adopted_objects += found
        return found

    # --- reading -------------------------------------------------------------------------

    async def read(self, object_id: str, verify_pack: bool = False) -> bytes:
        return await self.reader.read(object_id, verify_pack=verify_pack)

    def read_many(
        self, object_ids: Iterable[str]
    ) -> AsyncIterator[tuple[str, bytes | BackupError]]:
        return self.reader.read_many(object_ids)

    @property
    def index(self) -> Index:
        return self._state.index

    async def chain(self) -> ChainWalk:
        return walk_chain(self._state.scan, self._state.head)

    @property
    def manifests(self) -> ManifestScan:
        """Every manifest found when the repository was opened (and written since)."""
        return self._state.scan

    @property
    def head_problem(self) -> str | None:
        """What is wrong with the HEAD object (missing, damaged, behind the newest)."""
        return self._state.head_problem

    async def list_snapshots(self) -> list[Snapshot]:
        """Snapshots on the chain from the newest, newest first, then the detached ones."""
        scan = self._state.scan
        walk = await self.chain()
        snaps = [
            _snapshot(lk.name, lk.manifest, scan.generations[lk.name])
            for lk in walk.links
            if lk.manifest.kind == "snapshot"
        ]
        for name in detached(scan, walk):
            if scan.manifests[name].kind == "snapshot":
                snaps.append(_snapshot(name, scan.manifests[name], scan.generations[name], True))
        return snaps

    async def read_indexes_of(self, snapshot: Snapshot) -> None:
        """Also look objects up in the indexes a detached snapshot lists: its objects may sit
        in packs that only those name (a side branch's own session)."""
        for name in self._state.scan.manifests[snapshot.manifest].indexes:
            if name in self.live_indexes:
                continue
            try:
                raw, _ = await read_either(self.target, self._key, "index", name)
            except (RepositoryCorrupt, ObjectDamaged):
                continue  # its objects read as missing, and the restore says so
            self.index.merge(IndexDoc.decode(raw, f"index/{name}"))

    async def snapshot(self, snapshot_id: str) -> Snapshot:
        for snap in await self.list_snapshots():
            if snapshot_id in (snap.id, snap.manifest):
                return snap
        raise ObjectMissing(f"snapshot {snapshot_id} not found")

    async def reachable(self, roots: Iterable[str]) -> set[str]:
        """`roots` plus everything reachable through `refs` objects (what prune must keep)."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            oid = todo.pop()
            if oid in seen:
                continue
            seen.add(oid)
            loc = self.reader.index.lookup(oid)
            if loc is None:
                continue
            if loc.flags & FLAG_REFS:
                body = await self.reader.read(oid)
                todo.extend(body[i : i + 32].hex() for i in range(0, len(body), 32))
        return seen

    @property
    def key(self) -> bytes:
        return self._key

    @property
    def stats(self) -> dict[str, int]:
        return {"bytes_in": self._writer.bytes_in, "bytes_stored": self._writer.bytes_stored}


async def unwrap_any(target: Target, key_ids: Iterable[str], passphrase: str) -> bytes:
    """The master key from the first key file copy the passphrase opens.

    WrongKey only when an intact key file refused the passphrase; when every copy is missing
    or damaged, say so (the recovery key still opens the repository)."""
    damage: list[str] = []
    refused = False
    for key_id in key_ids:
        for path in key_paths(key_id):
            try:
                return unwrap_master_key(await target.get(path), passphrase, key_id)
            except WrongKey:
                refused = True
            except ObjectMissing:
                damage.append(f"{path} missing")
            except ObjectDamaged as exc:
                damage.append(str(exc))
    if refused:
        raise WrongKey("the passphrase does not open this repository")
    raise RepositoryCorrupt(
        f"no key file can be read ({'; '.join(damage)}); open the repository with the "
        "recovery key, and run `syncd backup repair` to rewrite the key file"
    )
