"""Pack, index and manifest encodings (pure)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from backups.compress import Codec
from backups.errors import ObjectDamaged
from backups.history import plan_forget
from backups.index import Index, IndexDoc
from backups.manifest import ChainLink, Manifest, next_in_chain
from backups.packs import FLAG_REFS, PackBuilder, open_record, read_trailer, seal_record

KEY = bytes(32)


def _pack(n: int) -> tuple[str, bytes, list[str]]:
    b = PackBuilder()
    ids = []
    for i in range(n):
        data = f"object {i}".encode()
        object_id = hashlib.sha256(data).hexdigest()
        b.add(object_id, seal_record(KEY, object_id, "page", Codec.NONE, None, data), i % 2)
        ids.append(object_id)
    pack = b.finish(KEY)
    return pack.name, pack.data, ids


def test_pack_name_is_hash_and_trailer_lists_records() -> None:
    name, data, ids = _pack(3)
    assert hashlib.sha256(data).hexdigest() == name
    entries = read_trailer(KEY, name, data)
    assert [e.object_id for e in entries] == ids
    assert [e.flags for e in entries] == [0, FLAG_REFS, 0]
    e = entries[1]
    rec = open_record(KEY, ids[1], data[e.offset : e.offset + e.length])
    assert rec.payload == b"object 1" and rec.type == "page" and rec.dict_id is None


def test_record_header_is_authenticated() -> None:
    object_id = "ab" * 32
    record = bytearray(seal_record(KEY, object_id, "page", Codec.NONE, None, b"x"))
    record[1] = int(Codec.ZSTD)  # claim another codec
    with pytest.raises(ObjectDamaged):
        open_record(KEY, object_id, bytes(record))


def test_index_round_trip_and_merge() -> None:
    name, data, ids = _pack(4)
    doc = IndexDoc()
    doc.add_pack(name, len(data), read_trailer(KEY, name, data))
    again = IndexDoc.decode(doc.encode(), "i")
    assert again.packs == {name: len(data)}
    index = Index()
    index.merge(again)
    assert all(i in index for i in ids) and len(index) == 4
    loc = index.lookup(ids[3])
    assert loc is not None and loc.pack == name and loc.flags == FLAG_REFS
    with pytest.raises(ObjectDamaged):
        IndexDoc.decode(b"garbage", "i")


def test_manifest_round_trip() -> None:
    m = Manifest("snapshot", "s1", datetime(2026, 1, 2, tzinfo=UTC), None, "h", ("a",), {"db": "x"})
    assert Manifest.decode(m.encode(), "m") == m


def _chain(n: int) -> list[ChainLink]:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    names = [f"m{i}" for i in range(n)]  # newest first
    return [
        ChainLink(names[i], Manifest("snapshot", names[i], t, names[i + 1] if i + 1 < n else None))
        for i in range(n)
    ]


@pytest.mark.parametrize("keep", [{"m0"}, {"m1", "m3"}, {"m4"}, set(), {"m0", "m2", "m4"}])
def test_forget_plan_keeps_chain_walkable(keep: set[str]) -> None:
    links = _chain(5)
    plan = plan_forget(links, keep)
    assert set(plan.delete) == {lk.name for lk in links} - keep
    by_name = {lk.name: lk for lk in links if lk.name in keep}
    # walk from a new head whose parent is m0, as a forget record would be
    walk, name = (
        [],
        next_in_chain(
            ChainLink("f", Manifest("forget", "f", links[0].manifest.time, "m0")),
            plan.forgotten,
            plan.root,
        ),
    )
    while name is not None:
        walk.append(name)
        name = next_in_chain(by_name[name], plan.forgotten, plan.root)
    assert walk == [n for n in ["m0", "m1", "m2", "m3", "m4"] if n in keep]
