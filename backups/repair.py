"""`syncd backup repair`: rebuild what can be rebuilt, one step at a time.

Each step is a function of a `RepairContext` that returns a `StepResult`: what it rewrote, and
what it found broken but could not rebuild (with why). Steps run in `REPAIR_STEPS` order;
the first ones make the repository openable again (config, key files), the later ones work
on the opened repository (`await ctx.repository()`), and the HEAD step runs last because
every step that publishes a manifest moves HEAD anyway. A new step is a function with that
signature, inserted into `REPAIR_STEPS` before `repair_head`.

Nothing here rewrites an object that still opens with the key: a wrong recovery key is
refused before anything is written.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from backups import reindex
from backups.config import (
    CONFIG_PATHS,
    KEY_PREFIXES,
    ConfigCopies,
    RepoConfig,
    key_paths,
    read_config_copies,
)
from backups.copies import read_copy, rewrite_bad_copies
from backups.crypto import (
    export_recovery_key,
    key_file_intact,
    parse_recovery_key,
    wrap_master_key,
)
from backups.errors import BackupError, NoRepository, ObjectDamaged, ObjectMissing, WrongKey
from backups.layout import repository_object
from backups.manifest import HEAD_PATH, read_head
from backups.packs import PACK_SIZE
from backups.repository import Repository, unwrap_any
from backups.targets.base import Target


@dataclass
class StepResult:
    done: list[str] = field(default_factory=list)  # what was rewritten, one line each
    left: list[str] = field(default_factory=list)  # found broken, not rebuilt (and why)


@dataclass
class RepairContext:
    target: Target
    master: bytes
    passphrase: str | None  # needed only to rewrap a key file lost in every copy
    _repo: Repository | None = None

    async def repository(self) -> Repository:
        """The repository opened with the master key (after the config and key steps)."""
        if self._repo is None:
            self._repo = await Repository.open(
                self.target, recovery_key=export_recovery_key(self.master)
            )
        return self._repo

    def reopen(self) -> None:
        """A step changed what opening reads: the next `repository()` opens afresh."""
        self._repo = None


RepairStep = Callable[[RepairContext], Awaitable[StepResult]]


@dataclass(frozen=True)
class StepReport:
    step: str
    result: StepResult


async def repair(
    target: Target,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    steps: list[RepairStep] | None = None,
) -> list[StepReport]:
    """Run every repair step; what each did and left. Raises WrongKey before writing
    anything when the key given opens none of the repository's objects."""
    if await repository_object(target) is None:
        raise NoRepository("nothing to repair: no backup repository object is here")
    master = await master_key(target, passphrase, recovery_key)
    ctx = RepairContext(target, master, passphrase)
    reports = []
    for step in steps if steps is not None else REPAIR_STEPS:
        reports.append(StepReport(step.__name__.removeprefix("repair_"), await step(ctx)))
    return reports


async def master_key(target: Target, passphrase: str | None, recovery_key: str | None) -> bytes:
    """The master key from the recovery key, or from any key file the passphrase opens; it
    must open something in the repository before repair may write with it."""
    if recovery_key is not None:
        master = parse_recovery_key(recovery_key)
    elif passphrase is not None:
        copies = await read_config_copies(target)
        key_ids = copies.key_ids or await _listed_key_ids(target)
        master = await unwrap_any(target, key_ids, passphrase)
    else:
        raise ValueError("give a passphrase or a recovery key")
    if not await _opens_something(target, master):
        raise WrongKey("the key given opens none of this repository's objects; nothing changed")
    return master


async def _opens_something(target: Target, master: bytes) -> bool:
    """Whether `master` opens a config check, HEAD or a manifest here (True also for a
    repository that holds none of these: there is nothing to protect)."""
    copies = await read_config_copies(target)
    if any(c.opens_with(master) for c in copies.found.values()):
        return True
    tried = bool(copies.found)
    try:
        read_head(master, await target.get(HEAD_PATH))
        return True
    except ObjectMissing:
        pass
    except BackupError:
        tried = True
    for prefix in ("snapshots/", "snapshots-copy/"):
        async for info in target.list(prefix):
            name = info.name.rsplit("/", 1)[-1]
            try:
                await read_copy(target, master, "snapshot", name, info.name)
                return True
            except BackupError:
                tried = True
    return not tried


async def _listed_key_ids(target: Target) -> tuple[str, ...]:
    ids: dict[str, None] = {}
    for prefix in KEY_PREFIXES:
        async for info in target.list(prefix):
            ids[info.name.rsplit("/", 1)[-1]] = None
    return tuple(ids)


# --- the steps -------------------------------------------------------------------------------


async def repair_config(ctx: RepairContext) -> StepResult:
    """Rewrite a lost or damaged config copy from the other; rebuild both from the key."""
    result = StepResult()
    copies = await read_config_copies(ctx.target)
    good = _good_config(copies, ctx.master)
    if good is None:
        config, notes = await _rebuilt_config(ctx)
        body = config.encode()
        for path in reversed(CONFIG_PATHS):  # the primary last, as init writes them
            await ctx.target.put(path, body)
        result.done.append("config and config-copy rebuilt from the recovery key")
        result.done += notes
        ctx.reopen()
        return result
    path, _ = good
    body = copies.raw[path]
    for other in CONFIG_PATHS:
        if other != path and copies.raw.get(other) != body:
            await ctx.target.put(other, body)
            why = copies.problems.get(other, "differed")
            result.done.append(f"{other} rewritten from {path} ({why})")
    return result


def _good_config(copies: ConfigCopies, master: bytes) -> tuple[str, RepoConfig] | None:
    for path, config in copies.found.items():
        if config.opens_with(master):
            return path, config
    return None


async def _rebuilt_config(ctx: RepairContext) -> tuple[RepoConfig, list[str]]:
    """A config for the master key: the id from HEAD, the key ids from the key files."""
    notes: list[str] = []
    try:
        repo_id, _ = read_head(ctx.master, await ctx.target.get(HEAD_PATH))
    except BackupError:
        repo_id = secrets.token_hex(16)
        notes.append(f"the repository id was only in config and HEAD: a new one, {repo_id}")
    key_ids = await _listed_key_ids(ctx.target)
    if not key_ids:
        key_ids = (secrets.token_hex(8),)
        notes.append("no key file was left: the key steps write a new one")
    notes.append(f"pack size is recorded nowhere else: the default, {PACK_SIZE} bytes, applies")
    return RepoConfig.create(repo_id, PACK_SIZE, key_ids, ctx.master), notes


async def repair_keys(ctx: RepairContext) -> StepResult:
    """Give every key file its two copies: from the intact one, or rewrapped from the key."""
    result = StepResult()
    config = (await read_config_copies(ctx.target)).first()
    for key_id in config.key_ids:
        bodies: dict[str, bytes] = {}
        bad: dict[str, str] = {}
        for path in key_paths(key_id):
            try:
                body = await ctx.target.get(path)
                key_file_intact(body, path)
                bodies[path] = body
            except ObjectMissing:
                bad[path] = "missing"
            except ObjectDamaged as exc:
                bad[path] = str(exc)
        if not bad:
            continue
        if bodies:
            source, body = next(iter(bodies.items()))
            for path, why in bad.items():
                await ctx.target.put(path, body)
                result.done.append(f"{path} rewritten from {source} ({why})")
            continue
        if ctx.passphrase is None:
            result.left.append(f"key file {key_id}: every copy lost; the passphrase is needed")
            continue
        body = await asyncio.to_thread(wrap_master_key, ctx.master, ctx.passphrase, key_id)
        for path in key_paths(key_id):
            await ctx.target.put(path, body)
        result.done.append(f"key file {key_id} rewritten (both copies) from the recovery key")
    ctx.reopen()
    return result


async def repair_manifest_copies(ctx: RepairContext) -> StepResult:
    """Rewrite the lost or damaged copy of each manifest that still has a good one."""
    result = StepResult()
    repo = await ctx.repository()
    scan = repo.manifests
    for name, problems in sorted(scan.bad_copies.items()):
        result.done += await rewrite_bad_copies(ctx.target, "snapshot", name, problems)
    scan.bad_copies.clear()
    for name, reason in sorted(scan.unreadable.items()):
        result.left.append(f"manifest {name}: {reason}")
    return result


async def repair_head(ctx: RepairContext) -> StepResult:
    """Point HEAD at the newest manifest when it is missing, damaged or behind."""
    repo = await ctx.repository()
    problem = repo.head_problem
    if not await repo.rewrite_head():
        return StepResult()
    return StepResult(done=[f"HEAD rewritten to {repo.head} ({problem})"])


async def repair_indexes(ctx: RepairContext) -> StepResult:
    """Indexes and dictionary copies brought in line with what is stored (backups/reindex.py)."""
    done, left = await reindex.repair_data(await ctx.repository())
    return StepResult(done, left)


REPAIR_STEPS: list[RepairStep] = [
    repair_config,
    repair_keys,
    repair_manifest_copies,
    # Steps that rebuild indexes or drop lost packs go here: they publish, HEAD comes last.
    repair_indexes,
    repair_head,
]
