"""The repository's `config` object and its key files, each stored twice (keys/ and keys-copy/).

The config holds no secret: the repository id and format version, pack size, the ids of the
key objects, and a sealed check value that tells "wrong key" apart from "damaged data". It also
carries a digest of its own fields, so one flipped bit is found before any key is tried: a
copy that hashes right and still does not open says "wrong key", one that does not says
"damaged" (configs written before the digest are told apart by comparing the two copies).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from backups.crypto import associated_data, seal, unseal
from backups.digest import body_digest, check_digest
from backups.errors import (
    BackupError,
    NoRepository,
    ObjectDamaged,
    ObjectMissing,
    RepositoryCorrupt,
    WrongKey,
)
from backups.targets.base import Target

CONFIG_PATHS = ("config", "config-copy")
FORMAT = "syncd-backup"
VERSION = 1
_CHECK_PLAINTEXT = b"syncd-backup-key-check"


KEY_PREFIXES = ("keys/", "keys-copy/")


def key_paths(key_id: str) -> tuple[str, ...]:
    """Every key file is stored twice, apart: losing one must not need the recovery key."""
    return tuple(f"{prefix}{key_id}" for prefix in KEY_PREFIXES)


@dataclass(frozen=True)
class RepoConfig:
    id: str
    pack_size: int
    key_ids: tuple[str, ...]
    check: bytes

    @classmethod
    def create(
        cls, repo_id: str, pack_size: int, key_ids: tuple[str, ...], master: bytes
    ) -> RepoConfig:
        check = seal(master, _CHECK_PLAINTEXT, associated_data("config", repo_id))
        return cls(repo_id, pack_size, key_ids, check)

    def encode(self) -> bytes:
        doc: dict[str, object] = {
            "format": FORMAT,
            "version": VERSION,
            "id": self.id,
            "pack_size": self.pack_size,
            "keys": list(self.key_ids),
            "check": base64.b64encode(self.check).decode(),
        }
        doc["digest"] = body_digest(doc)
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def decode_checked(cls, raw: bytes, what: str) -> tuple[RepoConfig, bool]:
        """The config, and whether its digest vouches for it (False: older format)."""
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            digested = check_digest(doc, what)
            if doc["format"] != FORMAT or doc["version"] != VERSION:
                raise ValueError(f"not a {FORMAT} v{VERSION} repository")
            config = cls(
                str(doc["id"]),
                int(doc["pack_size"]),
                tuple(doc["keys"]),
                base64.b64decode(doc["check"]),
            )
            return config, digested
        except (ValueError, KeyError, TypeError) as exc:
            raise ObjectDamaged(f"{what}: unparseable config ({exc})") from None

    def opens_with(self, master: bytes) -> bool:
        try:
            unseal(master, self.check, associated_data("config", self.id), "config")
        except ObjectDamaged:
            return False
        return True


@dataclass
class ConfigCopies:
    """What each config copy held: the decodable ones, and what was wrong with the others."""

    found: dict[str, RepoConfig] = field(default_factory=dict)
    vouched: set[str] = field(default_factory=set)  # paths whose digest matched
    raw: dict[str, bytes] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # path -> "missing" or damage

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for c in self.found.values() for k in c.key_ids))

    def first(self) -> RepoConfig:
        if not self.found:
            raise _unreadable(self.problems)
        return next(iter(self.found.values()))

    def opened_by(self, master: bytes) -> RepoConfig:
        """The copy `master` opens; WrongKey when a trustworthy copy refuses it, damage when
        no copy can be trusted to say."""
        for config in self.found.values():
            if config.opens_with(master):
                return config
        if not self.found:
            raise _unreadable(self.problems)
        trusted = bool(self.vouched) or (len(self.raw) == 2 and len(set(self.raw.values())) == 1)
        if trusted:
            raise WrongKey("the recovery key does not open this repository")
        details = "; ".join(f"{p}: {r}" for p, r in self.problems.items()) or "copies differ"
        raise RepositoryCorrupt(
            f"repository config damaged ({details}); run `syncd backup repair` with the "
            "recovery key"
        )


def _unreadable(problems: dict[str, str]) -> BackupError:
    if all(reason == "missing" for reason in problems.values()):
        return NoRepository("no backup repository here (config is missing)")
    details = "; ".join(f"{p}: {r}" for p, r in problems.items())
    return RepositoryCorrupt(
        f"repository config unreadable ({details}); run `syncd backup repair` with the recovery key"
    )


async def read_config_copies(target: Target) -> ConfigCopies:
    copies = ConfigCopies()
    for path in CONFIG_PATHS:
        try:
            raw = await target.get(path)
        except ObjectMissing:
            copies.problems[path] = "missing"
            continue
        copies.raw[path] = raw
        try:
            config, vouched = RepoConfig.decode_checked(raw, path)
        except ObjectDamaged as exc:
            copies.problems[path] = str(exc)
            continue
        copies.found[path] = config
        if vouched:
            copies.vouched.add(path)
    return copies
