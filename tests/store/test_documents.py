"""Revision documents live in the `documents` table, written with their revision; documents
of stores from before migration 0002 stay files and are still read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text, update

from syncd.config import parse_config
from syncd.errors import BlobCorrupt, BlobMissing
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore, blob_id
from syncd.store.canonical import canonical_bytes
from syncd.store.db import create_engine, migration_heads, upgrade
from syncd.store.open import open_store
from syncd.store.store import Store

DOC = {"title": "Thông báo lịch tiếp công dân", "body": "<p>Ủy ban nhân dân xã.</p>" * 40}
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _files(store: Store) -> LocalBlobStore:
    assert isinstance(store.files, LocalBlobStore)
    return store.files


def _file_of(root: Path, sha: str) -> Path:
    return root / sha[:2] / f"{sha}.zst"


async def test_document_is_a_row_not_a_file(store: Store) -> None:
    recorded = await store.record("konray", "k", DOC, url="u")
    sha = recorded.content_sha
    assert sha is not None and sha == blob_id(canonical_bytes(DOC))
    async with store.engine.connect() as conn:
        held = (await conn.execute(select(t.documents.c.sha))).scalars().all()
        blob = (await conn.execute(select(t.blobs).where(t.blobs.c.sha == sha))).one()
    assert held == [sha]
    # the blob row every other part keys on is as it was when documents were files
    assert (blob.size, blob.content_type) == (len(canonical_bytes(DOC)), "application/json")
    assert not _file_of(_files(store).root, sha).exists()
    assert [p for p in _files(store).root.rglob("*") if p.is_file()] == []
    assert await store.blobs.get(sha) == canonical_bytes(DOC)  # byte-exact
    assert (await store.document(recorded.item_id))[1] == DOC
    assert await store.blobs.has(sha)


async def test_unchanged_document_adds_no_row(store: Store) -> None:
    await store.record("konray", "k", DOC, url="u")
    again = await store.record("konray", "k", dict(DOC), url="u")
    edited = await store.record("konray", "k", {**DOC, "title": "Đã sửa"}, url="u")
    assert not again.changed and edited.changed
    async with store.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(t.documents))).scalar_one()
    assert count == 2


async def test_corrupted_document_reads_as_corrupt(store: Store) -> None:
    recorded = await store.record("konray", "k", DOC, url="u")
    async with store.engine.begin() as conn:
        data = (await conn.execute(select(t.documents.c.data))).scalar_one()
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x01
        await conn.execute(update(t.documents).values(data=bytes(flipped)))
    with pytest.raises(BlobCorrupt, match=str(recorded.content_sha)):
        await store.blobs.get(str(recorded.content_sha))
    with pytest.raises(BlobCorrupt):
        await store.document(recorded.item_id)


async def test_ids_are_documents_and_files_once_each(store: Store) -> None:
    image = b"\xff\xd8\xff" + bytes(range(256)) * 10
    media = await store.put_blob(image, "image/jpeg")
    docs = {
        str((await store.record("konray", f"k{n}", {"n": n}, url="u", media=[media])).content_sha)
        for n in range(5)
    }
    # a document that is a file too (a restored store whose page was recorded again)
    await _files(store).put(canonical_bytes({"n": 0}))
    ids = [sha async for sha in store.blobs.ids()]
    assert ids == sorted(docs | {media})
    missing = blob_id(b"never stored")
    assert not await store.blobs.has(missing)
    with pytest.raises(BlobMissing):
        await store.blobs.get(missing)


async def test_get_many_reads_rows_and_files_alike(store: Store) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    media = await store.put_blob(image, "image/png")
    docs = [
        str((await store.record("konray", f"k{n}", {"n": n}, url="u")).content_sha)
        for n in range(3)
    ]
    got = await store.blobs.get_many([docs[2], media, docs[0], docs[2], docs[1]])
    assert got == {
        docs[0]: canonical_bytes({"n": 0}),
        docs[1]: canonical_bytes({"n": 1}),
        docs[2]: canonical_bytes({"n": 2}),
        media: image,
    }
    with pytest.raises(BlobMissing):
        await store.blobs.get_many([docs[0], blob_id(b"never stored")])


async def _old_store(url: str, blob_dir: Path) -> tuple[str, bytes]:
    """A store as migration 0001 left it, with one revision whose document is a file."""
    await upgrade(url, "0001")
    body = canonical_bytes(DOC)
    sha = await LocalBlobStore(blob_dir).put(body)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(t.sites).values(
                    id=1, key="konray", unit_key="kon-ray", kind="dnn", failures=0,
                    base_url="https://konray.example", created_at=T0, degraded=False,
                    idle_passes=0,
                )
            )  # fmt: skip
            await conn.execute(
                insert(t.items).values(
                    id=1, site_id=1, source_key="k", url="u", kind="article", created_at=T0,
                    missing_count=0, head_seq=1, deleted=False,
                )
            )  # fmt: skip
            await conn.execute(
                insert(t.blobs).values(
                    sha=sha, size=len(body), content_type="application/json", created_at=T0
                )
            )
            await conn.execute(
                insert(t.revisions).values(
                    id=1, item_id=1, seq=1, content_sha=sha, title=DOC["title"],
                    tombstone=False, created_at=T0,
                )
            )  # fmt: skip
            if conn.dialect.name == "postgresql":
                for table in ("sites", "items", "revisions"):
                    await conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
                    )
    finally:
        await engine.dispose()
    return sha, body


async def test_store_at_0001_is_upgraded_and_keeps_reading_its_files(
    store_url: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    sha, body = await _old_store(store_url, state / "blobs")
    config = parse_config(f'[daemon]\nstate_dir = "{state}"\nstore_url = "{store_url}"\n')
    store = await open_store(config)
    try:
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert {v for (v,) in version} == migration_heads()  # upgraded to the newest
        assert await store.blobs.get(sha) == body
        assert (await store.document(1))[1] == DOC
        assert await store.blobs.has(sha)
        # the next revision goes to the table; the old one stays a file
        edited = await store.record("konray", "k", {**DOC, "title": "Mới"}, url="u")
        assert edited.seq == 2 and edited.content_sha is not None
        assert (await store.document(1, 2))[1] == {**DOC, "title": "Mới"}
        assert not _file_of(state / "blobs", edited.content_sha).exists()
        assert _file_of(state / "blobs", sha).exists()
        assert [s async for s in store.blobs.ids()] == sorted([sha, edited.content_sha])
    finally:
        await store.close()
