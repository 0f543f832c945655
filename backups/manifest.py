"""Snapshot manifests, their hash chain, and the repository HEAD that points at the newest.

A manifest is either a snapshot (a caller-filled tree of logical name -> object id) or a
"forget" record written by retention. Each names its parent manifest by hash, so the history is
a chain that cannot be silently shortened or edited. Forgetting snapshots deletes their
manifests; the forget record keeps the chain checkable by mapping each removed manifest to its
parent (`forgotten`) and by naming the oldest manifest still needed (`root`).
Every manifest also lists the index objects live at that point and the dictionaries in use,
and carries a generation number, one more than its parent's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from backups.crypto import associated_data, seal, unseal
from backups.errors import ObjectDamaged

FORMAT_VERSION = 1
HEAD_PATH = "HEAD"
_HEAD_AD = associated_data("HEAD", "")


@dataclass(frozen=True)
class Manifest:
    kind: str  # "snapshot" or "forget"
    id: str
    time: datetime
    parent: str | None
    host: str = ""
    tags: tuple[str, ...] = ()
    tree: dict[str, str] = field(default_factory=dict)
    dicts: dict[str, str] = field(default_factory=dict)
    indexes: tuple[str, ...] = ()
    forgotten: dict[str, str | None] = field(default_factory=dict)
    root: str | None = None
    # One more than the parent's: the newest snapshot is found from the manifests themselves,
    # HEAD only breaks ties. None in manifests written before generations existed.
    generation: int | None = None
    store: str | None = None  # id of the store a snapshot was taken of

    def encode(self) -> bytes:
        doc = asdict(self)
        doc["version"] = FORMAT_VERSION
        doc["time"] = self.time.isoformat()
        doc["tags"] = list(self.tags)
        doc["indexes"] = list(self.indexes)
        return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()

    @classmethod
    def decode(cls, raw: bytes, what: str) -> Manifest:
        try:
            doc = json.loads(raw)
            if doc.get("version") != FORMAT_VERSION:
                raise ValueError(f"unsupported version {doc.get('version')!r}")
            return cls(
                kind=str(doc["kind"]),
                id=str(doc["id"]),
                time=datetime.fromisoformat(doc["time"]),
                parent=doc["parent"],
                host=str(doc["host"]),
                tags=tuple(doc["tags"]),
                tree=dict(doc["tree"]),
                dicts=dict(doc["dicts"]),
                indexes=tuple(doc["indexes"]),
                forgotten=dict(doc["forgotten"]),
                root=doc["root"],
                generation=_optional_int(doc.get("generation")),
                store=None if doc.get("store") is None else str(doc["store"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ObjectDamaged(f"{what}: unparseable manifest ({exc})") from None


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"generation {value!r} is not a number")
    return value


def encode_head(key: bytes, repo_id: str, manifest: str) -> bytes:
    body = json.dumps({"repository": repo_id, "manifest": manifest}).encode()
    return seal(key, body, _HEAD_AD)


def decode_head(key: bytes, repo_id: str, sealed: bytes) -> str:
    owner, manifest = read_head(key, sealed)
    if owner != repo_id:
        raise ObjectDamaged("HEAD: unparseable (HEAD belongs to another repository)")
    return manifest


def read_head(key: bytes, sealed: bytes) -> tuple[str, str]:
    """The repository id and manifest name HEAD holds (repair reads the id from it)."""
    raw = unseal(key, sealed, _HEAD_AD, HEAD_PATH)
    try:
        doc = json.loads(raw)
        return str(doc["repository"]), str(doc["manifest"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ObjectDamaged(f"HEAD: unparseable ({exc})") from None


@dataclass(frozen=True)
class ChainLink:
    name: str
    manifest: Manifest


@dataclass
class ChainWalk:
    """What walking the chain from HEAD found: live links, and where the chain was broken."""

    links: list[ChainLink] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)  # (manifest name, reason)


def next_in_chain(
    link: ChainLink, forgotten: dict[str, str | None], root: str | None
) -> str | None:
    """The next manifest to read after `link`, skipping forgotten ones (pure)."""
    if link.name == root:
        return None
    name = link.manifest.parent
    seen: set[str] = set()
    while name is not None and name in forgotten and name not in seen:
        seen.add(name)
        name = forgotten[name]
    return name
