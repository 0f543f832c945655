"""The store's consistency check: a whole store checks clean, and each kind of damage, made
directly in the rows and files, is found with one line naming it. Orphan blobs are
reported, and pruned only past their grace period."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.check import check_store
from syncd.store.store import Store

SITE = "konray"
URL_A = "https://konray.example/tin-tuc/ArticleId/1/a"
URL_B = "https://konray.example/tin-tuc/ArticleId/2/b"
IMAGE = b"\xff\xd8\xff\xe0 not really a jpeg " * 300
PDF = b"%PDF-1.4 van ban " * 400


@dataclass
class Filled:
    item_a: int  # three revisions: media IMAGE at 1, IMAGE and PDF at 2, none at 3
    item_b: int  # a revision, then a tombstone
    image: str
    pdf: str
    docs_a: list[str]  # the document sha of each of a's revisions


async def _fill(store: Store) -> Filled:
    image = await store.put_blob(IMAGE, "image/jpeg")
    pdf = await store.put_blob(PDF, "application/pdf")
    docs = []
    for n, media in ((1, [image]), (2, [image, pdf]), (3, [])):
        doc = {"title": "Họp ban", "body": f"<p>Lần {n}</p>", "media": media}
        rec = await store.record(SITE, URL_A, doc, url=URL_A, media=media)
        assert rec.content_sha is not None
        docs.append(rec.content_sha)
    b = await store.record(SITE, URL_B, {"title": "B", "body": "<p>b</p>"}, url=URL_B)
    await store.tombstone(SITE, URL_B)
    return Filled(rec.item_id, b.item_id, image, pdf, docs)


def _file(store: Store, sha: str) -> Path:
    assert isinstance(store.files, LocalBlobStore)
    return store.files.root / sha[:2] / f"{sha}.zst"


def _only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


async def test_a_whole_store_checks_clean(store: Store) -> None:
    await _fill(store)
    for quick in (False, True):
        report = await check_store(store, quick=quick)
        assert report.problems == [] and report.consistent
        assert (report.items, report.revisions) == (2, 5)
        assert report.blobs == 6  # two media, four documents
        assert report.orphans == 0


async def test_empty_store_checks_clean(store: Store) -> None:
    report = await check_store(store)
    assert report.consistent and (report.items, report.revisions, report.blobs) == (0, 0, 0)


async def test_deleted_media_file(store: Store) -> None:
    filled = await _fill(store)
    _file(store, filled.image).unlink()
    for quick in (False, True):
        report = await check_store(store, quick=quick)
        assert not report.consistent
        line = _only(report.problems)
        assert line.startswith(f"blob {filled.image}: missing; media of item {filled.item_a} ")
        assert f"({SITE}:" in line and line.endswith("rev 1")


async def test_flipped_byte_in_a_file(store: Store) -> None:
    filled = await _fill(store)
    path = _file(store, filled.pdf)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    line = _only((await check_store(store)).problems)
    assert line.startswith(f"blob {filled.pdf}: ") and "missing" not in line
    assert line.endswith(f"media of item {filled.item_a} ({SITE}:{_key(URL_A)}) rev 2")
    # --quick looks files up without reading them: by design it cannot see this
    assert (await check_store(store, quick=True)).consistent


def _key(url: str) -> str:
    from connectors.urls import normalize_key

    return normalize_key(url)


async def test_corrupted_documents_row(store: Store) -> None:
    filled = await _fill(store)
    sha = filled.docs_a[1]
    async with store.engine.begin() as conn:
        await conn.execute(
            update(t.documents).where(t.documents.c.sha == sha).values(data=b"not zstd at all")
        )
    line = _only((await check_store(store)).problems)
    assert line.startswith(f"blob {sha}: cannot decompress")
    assert "(documents row)" in line and line.endswith(
        f"document of item {filled.item_a} ({SITE}:{_key(URL_A)}) rev 2"
    )


async def test_seq_gap_wrong_head_and_deleted_flag(store: Store) -> None:
    filled = await _fill(store)
    async with store.engine.begin() as conn:
        rev2 = (
            await conn.execute(
                t.revisions.select().where(
                    t.revisions.c.item_id == filled.item_a, t.revisions.c.seq == 2
                )
            )
        ).one()
        await conn.execute(
            delete(t.revision_blobs).where(t.revision_blobs.c.revision_id == rev2.id)
        )
        await conn.execute(delete(t.revisions).where(t.revisions.c.id == rev2.id))
    name_a = f"item {filled.item_a} ({SITE}:{_key(URL_A)})"
    assert _only((await check_store(store)).problems) == (
        f"{name_a}: revision seqs are 1, 3, not 1-2, missing 2"
    )

    async with store.engine.begin() as conn:
        await conn.execute(update(t.items).where(t.items.c.id == filled.item_a).values(head_seq=2))
        await conn.execute(
            update(t.items).where(t.items.c.id == filled.item_b).values(deleted=False)
        )
    problems = (await check_store(store)).problems
    assert problems == [
        f"{name_a}: revision seqs are 1, 3, not 1-2, missing 2",
        f"{name_a}: head_seq is 2 but the newest revision is 3",
        f"item {filled.item_b} ({SITE}:{_key(URL_B)}): newest revision 2 is a tombstone but "
        "not marked deleted",
    ]


async def test_item_marked_deleted_with_a_live_head(store: Store) -> None:
    filled = await _fill(store)
    async with store.engine.begin() as conn:
        await conn.execute(
            update(t.items).where(t.items.c.id == filled.item_a).values(deleted=True)
        )
    assert _only((await check_store(store)).problems) == (
        f"item {filled.item_a} ({SITE}:{_key(URL_A)}): marked deleted but its newest "
        "revision 3 is no tombstone"
    )


async def test_missing_blobs_row(store: Store) -> None:
    filled = await _fill(store)
    sha = filled.docs_a[2]
    async with store.engine.begin() as conn:
        await conn.execute(delete(t.blobs).where(t.blobs.c.sha == sha))
    report = await check_store(store)
    assert _only(report.problems) == (
        f"item {filled.item_a} ({SITE}:{_key(URL_A)}) rev 3: document {sha} has no blobs row"
    )
    assert report.blobs == 5


async def test_problems_are_counted_past_those_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled = await _fill(store)
    async with store.engine.begin() as conn:
        await conn.execute(update(t.items).values(head_seq=9))
    monkeypatch.setattr("syncd.store.check.KEEP", 1)
    report = await check_store(store)
    assert report.problem_count == 2 and not report.consistent
    assert report.problems == [
        f"item {filled.item_a} ({SITE}:{_key(URL_A)}): head_seq is 9 but the newest revision is 3"
    ]


async def test_orphans_are_reported_and_pruned_only_past_the_grace(store: Store) -> None:
    filled = await _fill(store)
    orphan = await store.files.put(b"an image whose row never committed" * 50)
    path = _file(store, orphan)
    size = path.stat().st_size

    report = await check_store(store)
    assert report.consistent  # an orphan is no inconsistency
    assert (report.orphans, report.orphan_bytes) == (1, size)

    kept = await check_store(store, prune_grace=3600)
    assert (kept.pruned, kept.kept_recent) == (0, 1)
    assert path.exists()

    # an hour and a bit old: past the default grace
    old = time.time() - 3700
    os.utime(path, (old, old))
    pruned = await check_store(store, prune_grace=3600)
    assert (pruned.orphans, pruned.pruned, pruned.pruned_bytes, pruned.kept_recent) == (
        1,
        1,
        size,
        0,
    )
    assert not path.exists()
    after = await check_store(store)
    assert after.consistent and after.orphans == 0
    # the referenced blobs, as old as the orphan was, are still there
    for sha in (filled.image, filled.pdf):
        assert _file(store, sha).exists()


async def test_an_orphan_adopted_by_a_new_write_is_young_again(store: Store) -> None:
    # a crash left the file without its row; the next pass fetches the same image, finds the
    # file and commits the row: a prune running meanwhile must not take the file away
    data = b"an image fetched again after a crash" * 50
    orphan = await store.files.put(data)
    path = _file(store, orphan)
    old = time.time() - 7200
    os.utime(path, (old, old))
    assert await store.put_blob(data, "image/jpeg") == orphan
    assert path.stat().st_mtime > time.time() - 60
    report = await check_store(store, prune_grace=3600)
    assert report.orphans == 0 and report.pruned == 0 and path.exists()


async def test_grace_zero_deletes_every_orphan_and_no_referenced_blob(store: Store) -> None:
    filled = await _fill(store)
    orphans = [await store.files.put(f"orphan {n}".encode()) for n in range(3)]
    for sha in (filled.image, filled.pdf):
        old = time.time() - 86400
        os.utime(_file(store, sha), (old, old))
    report = await check_store(store, prune_grace=0)
    assert (report.orphans, report.pruned, report.kept_recent) == (3, 3, 0)
    assert not any(_file(store, sha).exists() for sha in orphans)
    assert _file(store, filled.image).exists() and _file(store, filled.pdf).exists()
    assert (await check_store(store)).consistent


@pytest.mark.parametrize("quick", [False, True])
async def test_unreferenced_blob_row_without_bytes_is_a_problem(store: Store, quick: bool) -> None:
    """A `blobs` row commits only after its bytes are durable, referenced or not."""
    sha = await store.put_blob(b"media a crash left unreferenced", "image/png")
    _file(store, sha).unlink()
    line = _only((await check_store(store, quick=quick)).problems)
    assert line == f"blob {sha}: missing; used by no revision"
