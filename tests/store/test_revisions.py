"""Revisions: same content once, an edit is a new revision, a delete is a tombstone."""

from __future__ import annotations

import pytest

from syncd.errors import NotFound
from syncd.store.store import Store

DOC = {"title": "Hội nghị tổng kết năm 2025", "body": "<p>Nội dung bài viết.</p>"}


async def test_same_content_twice_is_one_revision(store: Store) -> None:
    first = await store.record("konray", "https://konray.example/tin-tuc/1", DOC, url="u")
    second = await store.record("konray", "http://KONRAY.example/tin-tuc/1/", dict(DOC), url="u")
    assert first.changed and not second.changed
    assert first.item_id == second.item_id
    assert [r.seq for r in await store.history(first.item_id)] == [1]


async def test_nfd_and_crlf_variants_hash_alike(store: Store) -> None:
    import unicodedata

    nfd = {k: unicodedata.normalize("NFD", v).replace("</p>", "</p>\r\n") for k, v in DOC.items()}
    nfc = {k: v.replace("</p>", "</p>\n") for k, v in DOC.items()}
    a = await store.record("konray", "k1", nfd, url="u")
    b = await store.record("konray", "k1", nfc, url="u")
    assert not b.changed and a.seq == b.seq == 1


async def test_edit_then_delete(store: Store) -> None:
    a = await store.record("konray", "k", DOC, url="u")
    b = await store.record("konray", "k", {**DOC, "body": "<p>Đã sửa.</p>"}, url="u")
    c = await store.tombstone("konray", "k")
    again = await store.tombstone("konray", "k")
    assert (a.seq, b.seq, c.seq) == (1, 2, 3)
    assert not again.changed
    history = await store.history(a.item_id)
    assert [(r.seq, r.tombstone) for r in history] == [(3, True), (2, False), (1, False)]
    rev, doc = await store.document(a.item_id, 1)
    assert doc == DOC and rev.title == DOC["title"]
    _, gone = await store.document(a.item_id)
    assert gone is None
    item = await store.find_item("konray:k")
    assert item.deleted and item.head_seq == 3


async def test_content_returning_after_delete_is_a_new_revision(store: Store) -> None:
    await store.record("konray", "k", DOC, url="u")
    await store.tombstone("konray", "k")
    back = await store.record("konray", "k", DOC, url="u")
    assert back.changed and back.seq == 3
    assert not (await store.find_item("konray:k")).deleted


async def test_media_blobs_are_linked_and_deduplicated(store: Store) -> None:
    image = b"\xff\xd8\xff" + bytes(range(256)) * 10
    sha1 = await store.put_blob(image, "image/jpeg")
    sha2 = await store.put_blob(image, "image/jpeg")
    assert sha1 == sha2
    await store.record(
        "konray", "k", {**DOC, "media": [{"url": "/a.jpg", "sha": sha1}]}, url="u", media=[sha1]
    )
    assert await store.blobs.get(sha1) == image


async def test_unknown_references(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.find_item("konray:nothing")
    with pytest.raises(NotFound):
        await store.tombstone("konray", "nothing")
    with pytest.raises(NotFound):
        await store.record("nosite", "k", DOC, url="u")
    item = (await store.record("konray", "k", DOC, url="u")).item_id
    with pytest.raises(NotFound):
        await store.document(item, 9)
