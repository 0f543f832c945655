"""The repository's `config` object (stored twice, in clear) and its `keys/<id>` objects.

The config holds no secret: the repository id and format version, pack size, the ids of the
key objects, and a sealed check value that tells "wrong key" apart from "damaged data".
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from backups.crypto import associated_data, seal, unseal
from backups.errors import (
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


def key_path(key_id: str) -> str:
    return f"keys/{key_id}"


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
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "id": self.id,
            "pack_size": self.pack_size,
            "keys": list(self.key_ids),
            "check": base64.b64encode(self.check).decode(),
        }
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes, what: str) -> RepoConfig:
        try:
            doc = json.loads(raw)
            if doc["format"] != FORMAT or doc["version"] != VERSION:
                raise ValueError(f"not a {FORMAT} v{VERSION} repository")
            return cls(
                str(doc["id"]),
                int(doc["pack_size"]),
                tuple(doc["keys"]),
                base64.b64decode(doc["check"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ObjectDamaged(f"{what}: unparseable config ({exc})") from None

    def check_key(self, master: bytes) -> None:
        try:
            unseal(master, self.check, associated_data("config", self.id), "config")
        except ObjectDamaged:
            raise WrongKey("the recovery key does not open this repository") from None


async def read_config(target: Target) -> RepoConfig:
    reasons: list[str] = []
    for path in CONFIG_PATHS:
        try:
            return RepoConfig.decode(await target.get(path), path)
        except ObjectMissing:
            reasons.append(f"{path} missing")
        except ObjectDamaged as exc:
            reasons.append(str(exc))
    if all(r.endswith("missing") for r in reasons):
        raise NoRepository("no backup repository here (config is missing)")
    raise RepositoryCorrupt("repository config unreadable: " + "; ".join(reasons))
