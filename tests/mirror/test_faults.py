"""Every fault the simulator can switch on ends in a correct mirror or a recorded, explained
failure: no exception escapes a pass, nothing stored before is lost or altered, text comes out
NFC whatever the bytes were, and once the fault clears the next pass converges to the truth."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, select

from connectors.http import HttpClient
from connectors.sanitize import sanitize_html
from connectors.urls import dnn_key
from syncd.mirror.pipeline import PassResult
from syncd.mirror.runner import Mirror
from syncd.simulator import ArticleTruth, FaultKind, SimulatedSite
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store
from tests.mirror.conftest import TEST_POLICY, network_config

# Stalls are cut off after 0.5 s of silence and oversized bodies at 1 MiB (the simulated
# site's largest page or file is a few KiB), so hanging and huge faults cost little time.
FAULT_POLICY = dataclasses.replace(
    TEST_POLICY, read_timeout=0.5, total_timeout=2.0, max_bytes=1024 * 1024
)
RSS = "/RSS.aspx?tabid=56&moduleid=412"
HUGE = 2 * 1024 * 1024  # padding past FAULT_POLICY's cap
Heads = dict[str, tuple[int, str | None]]
MirrorOf = Callable[..., AbstractAsyncContextManager[Mirror]]


def _site(seed: int) -> SimulatedSite:
    return SimulatedSite(seed=seed, articles=20, images=4, documents=2)


@pytest.fixture
def mirror_of(store_url: str, tmp_path: Path) -> MirrorOf:
    """A mirror of one site, key "s", with its RSS feed configured beside the sitemap."""

    @asynccontextmanager
    async def make(site: SimulatedSite, **options: object) -> AsyncIterator[Mirror]:
        await upgrade(store_url)
        store = Store(create_engine(store_url), LocalBlobStore(tmp_path / "blobs"))
        config = network_config({"s": site}, feeds=[RSS], **options)
        try:
            async with HttpClient(FAULT_POLICY) as http:
                mirror = Mirror(config, store, http)
                await mirror.register_sites()
                yield mirror
        finally:
            await store.close()

    return make


# -- what the store holds -------------------------------------------------------------------


async def _heads(mirror: Mirror) -> Heads:
    """Every item's head revision: (seq, content sha; None for a tombstone)."""
    head = and_(t.revisions.c.item_id == t.items.c.id, t.revisions.c.seq == t.items.c.head_seq)
    query = select(t.items.c.source_key, t.items.c.head_seq, t.revisions.c.content_sha).join(
        t.revisions, head
    )
    async with mirror.store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {row.source_key: (int(row.head_seq), row.content_sha) for row in rows}


async def _document(mirror: Mirror, url: str) -> dict[str, Any]:
    item = await mirror.store.find_item(f"s:{url}")
    _, doc = await mirror.store.document(item.id)
    assert doc is not None, f"{url} is a tombstone"
    return doc


def _assert_nfc(doc: dict[str, Any]) -> None:
    texts = [doc["title"], doc["body"], doc["summary"], doc["author"] or "", *doc["categories"]]
    for text in texts:
        assert unicodedata.is_normalized("NFC", text), text[:80]


async def _assert_true_copy(mirror: Mirror, truth: ArticleTruth, *, media: bool = True) -> None:
    """The stored head is the article exactly as the site means it: title, sanitised body,
    NFC text, and (unless ``media`` is False) every linked file byte for byte."""
    doc = await _document(mirror, truth.url)
    assert doc["title"] == truth.article.title
    assert doc["body"] == sanitize_html(truth.article.body_html, truth.url)
    _assert_nfc(doc)
    if media:
        stored = {m["sha"] for m in doc["media"]}
        for file in truth.media:
            sha = hashlib.sha256(file.data).hexdigest()
            assert sha in stored, file.url
            assert await mirror.store.blobs.get(sha) == file.data


async def _assert_mirror_is_truth(mirror: Mirror, site: SimulatedSite) -> None:
    for truth in site.truth():
        await _assert_true_copy(mirror, truth)


async def _site_row(mirror: Mirror) -> Any:
    async with mirror.store.engine.connect() as conn:
        return (await conn.execute(select(t.sites).where(t.sites.c.key == "s"))).one()


async def _event_messages(mirror: Mirror, kind: str) -> list[str]:
    query = select(t.events.c.message).where(t.events.c.kind == kind).order_by(t.events.c.id)
    async with mirror.store.engine.connect() as conn:
        return [row.message for row in (await conn.execute(query)).all()]


def _failures(result: PassResult) -> dict[str, str]:
    """Failed item URL -> the explanation recorded for it."""
    assert result.failed == len(result.errors)  # small sites: the error list is never capped
    found: dict[str, str] = {}
    for error in result.errors:
        url, _, message = error.partition(": ")
        found[url] = message
    return found


async def _assert_kept_or_true(
    mirror: Mirror,
    site: SimulatedSite,
    before: Heads,
    result: PassResult,
    edited: set[int],
    explained: str,
) -> int:
    """After a pass under a fault: each article is either a true copy, or a true copy of its
    text whose unfetched files are marked missing (a new revision: the next pass owes it
    another), or failed with an explanation and kept exactly what was stored before;
    unedited articles are otherwise unchanged. Returns the revisions the missing files add
    by the time they come: one for an edited article, two (without, then with) for others."""
    failures = _failures(result)
    for message in failures.values():
        assert re.search(explained, message), message
    if result.listing_failed is not None:
        assert re.search(explained, result.listing_failed), result.listing_failed
        assert result.degraded is not None
    after = await _heads(mirror)
    assert set(after) == set(before)
    partial = 0
    for truth in site.truth():
        key = dnn_key(truth.url)
        if result.listing_failed is not None or truth.url in failures:
            assert after[key] == before[key], truth.url
            continue
        missing = [m for m in (await _document(mirror, truth.url))["media"] if m["sha"] is None]
        assert all(m["missing"] == "could not be fetched" for m in missing), missing
        was_edited = truth.article.article_id in edited
        if missing:
            partial += 1 if was_edited else 2
        await _assert_true_copy(mirror, truth, media=not missing)
        if was_edited or missing:
            assert after[key][0] == before[key][0] + 1, truth.url
        else:
            assert after[key] == before[key], truth.url
    return partial


def _edit(site: SimulatedSite, article_ids: list[int]) -> set[int]:
    for article_id in article_ids:
        # appends a dated sentence, keeping the links to files; a new title would be a new
        # slug, so a new URL and a new item
        site.edit_article(article_id)
    return set(article_ids)


# -- bodies in other encodings and forms ----------------------------------------------------


TEXT_FAULTS = ["nfd", "cp1258", "charset_mislabelled", "charset_missing"]


@pytest.mark.parametrize("kind", TEXT_FAULTS)
async def test_text_faults_come_out_as_nfc_truth(mirror_of: MirrorOf, kind: str) -> None:
    async with _site(31) as site, mirror_of(site) as mirror:
        site.add_fault(kind)
        cold = await mirror.run_site("s")
        assert site.fault_hits(kind) > len(site.articles())  # pages, sitemap and feed
        assert cold.ok and (cold.new, cold.failed) == (len(site.articles()), 0)
        await _assert_mirror_is_truth(mirror, site)
        count = await mirror.store.count_revisions()

        # Read afresh from clean UTF-8: identical canonical documents, so no new revision.
        site.clear_faults()
        site.touch()
        clean = await mirror.run_site("s")
        assert (clean.new, clean.changed, clean.failed) == (0, 0, 0)
        assert clean.bytes > 0  # the pages were really read again, not answered 304
        assert await mirror.store.count_revisions() == count


# -- faults that strike some requests: retries absorb them or the item waits a pass ---------

TRANSIENT = [
    pytest.param("slow", {"delay": 0.05, "probability": 0.5}, None, id="slow"),
    pytest.param("stall_after_headers", {"every_nth": 3, "delay": 30}, "timed out", id="stall"),
    pytest.param("no_response", {"every_nth": 3, "delay": 30}, "timed out", id="no_response"),
    pytest.param("error_500", {"every_nth": 2}, r"HTTP 500", id="500"),
    pytest.param("error_503", {"every_nth": 2, "retry_after": 0}, r"HTTP 503", id="503"),
    pytest.param("error_429", {"every_nth": 2, "retry_after": 0}, r"HTTP 429", id="429"),
    pytest.param("truncated", {"every_nth": 2}, "broken response body", id="truncated"),
    pytest.param("malformed_xml", {}, None, id="malformed_xml"),
    pytest.param(
        "huge_body",
        {"paths": ("/tin-tuc/", "/Sitemap.aspx", "/RSS.aspx"), "huge_bytes": 256 * 1024},
        None,
        id="huge_under_cap",
    ),
]


@pytest.mark.parametrize(("kind", "options", "explained"), TRANSIENT)
async def test_transient_faults_end_correct_or_recorded(
    mirror_of: MirrorOf, kind: str, options: dict[str, Any], explained: str | None
) -> None:
    async with _site(32) as site, mirror_of(site) as mirror:
        assert (await mirror.run_site("s")).failed == 0
        before = await _heads(mirror)
        count = await mirror.store.count_revisions()
        edited = _edit(site, [a.article_id for a in site.articles()[:3]])
        site.touch()  # every page is fetched again, under the fault
        site.add_fault(kind, **options)

        faulted = await mirror.run_site("s")
        assert site.fault_hits(kind) > 0
        if explained is None:  # harmless faults: the pass is simply right
            assert faulted.ok and faulted.failed == 0
        partial = await _assert_kept_or_true(
            mirror, site, before, faulted, edited, explained or "^$"
        )
        recorded = faulted.listing_failed or (faulted.errors[0] if faulted.errors else None)
        assert (await _site_row(mirror)).last_error == recorded

        site.clear_faults()
        healed = await mirror.run_site("s")
        assert healed.ok and healed.failed == 0
        await _assert_mirror_is_truth(mirror, site)
        # an article stored without its files gets another revision when they come
        assert await mirror.store.count_revisions() == count + len(edited) + partial


# -- one article's (or file's) requests always fail -----------------------------------------

ITEM_FAULTS: list[tuple[str, dict[str, Any], str]] = [
    ("error_500", {}, r"HTTP 500$"),
    ("error_503", {"retry_after": 5}, r"HTTP 503 \(retry after 5s\)$"),
    ("error_429", {"retry_after": 5}, r"HTTP 429 \(retry after 5s\)$"),
    ("truncated", {}, r"broken response body"),
    ("stall_after_headers", {"delay": 30}, r"timed out"),
    ("no_response", {"delay": 30}, r"timed out"),
    ("redirect_loop", {}, r"redirect loop at "),
    ("huge_body", {"huge_bytes": HUGE}, r"body exceeds 1048576 bytes$"),
]


async def test_item_faults_fail_only_their_item(mirror_of: MirrorOf) -> None:
    async with _site(33) as site, mirror_of(site) as mirror:
        assert (await mirror.run_site("s")).failed == 0
        before = await _heads(mirror)
        count = await mirror.store.count_revisions()
        truths = site.truth()
        with_file = next(truth for truth in truths if truth.media)
        plain = [truth for truth in truths if not truth.media]
        faulted = plain[: len(ITEM_FAULTS)]
        vanished, healthy = plain[len(ITEM_FAULTS)], plain[len(ITEM_FAULTS) + 1]
        # every faulted article is edited, so a pass that got through would change it
        edited = _edit(site, [x.article.article_id for x in [*faulted, with_file, healthy]])
        expected: dict[str, str] = {}
        for truth, (kind, options, explained) in zip(faulted, ITEM_FAULTS, strict=True):
            site.add_fault(kind, paths=(truth.article.path,), **options)
            expected[truth.url] = rf"^{explained}"  # the URL itself is the key, named once
        file = with_file.media[0]
        # a file that cannot be had does not fail its article: stored without it
        site.add_fault("error_503", paths=(file.path,), retry_after=5)
        site.add_fault("crashed_404", paths=(vanished.article.path,))

        result = await mirror.run_site("s")
        assert result.ok  # one item's trouble is not the site's
        failures = _failures(result)
        assert set(failures) == set(expected)
        for url, pattern in expected.items():
            assert re.search(pattern, failures[url]), failures[url]
        assert result.gone == 1 and result.deleted == 0  # a 404 while listed is not a deletion
        assert (result.changed, result.failed) == (2, len(expected))
        after = await _heads(mirror)
        for truth in truths:
            key = dnn_key(truth.url)
            if truth is healthy or truth is with_file:
                assert after[key][0] == before[key][0] + 1
            else:
                assert after[key] == before[key], truth.url  # failed or untouched: as it was
        broken = {m["url"]: m for m in (await _document(mirror, with_file.url))["media"]}
        assert broken[file.url]["sha"] is None
        assert broken[file.url]["missing"] == "could not be fetched"
        assert (await _site_row(mirror)).last_error == result.errors[0]

        site.clear_faults()
        healed = await mirror.run_site("s")
        assert healed.ok and (healed.failed, healed.gone) == (0, 0)
        # the faulted articles, and the one whose file is now there (a new revision with it)
        assert healed.changed == len(faulted) + 1
        await _assert_mirror_is_truth(mirror, site)
        assert await mirror.store.count_revisions() == count + len(edited) + 1
        assert (await _site_row(mirror)).last_error is None


async def test_missing_files_are_recorded_then_fetched_once_back(mirror_of: MirrorOf) -> None:
    async with _site(34) as site, mirror_of(site) as mirror:
        site.add_fault("crashed_404", paths=("/Portals/", "/LinkClick.aspx"))
        cold = await mirror.run_site("s")
        assert cold.ok and cold.failed == 0 and cold.new == len(site.articles())
        with_files = [truth for truth in site.truth() if truth.media]
        assert with_files
        for truth in site.truth():
            await _assert_true_copy(mirror, truth, media=False)
        for truth in with_files:
            doc = await _document(mirror, truth.url)
            # the document says which files it could not get, rather than hiding them
            assert len(doc["media"]) == len(truth.media)
            assert all(m["sha"] is None for m in doc["media"])

        site.clear_faults()
        healed = await mirror.run_site("s")
        # the pages are read again (not 304) because their files are still owed
        assert (healed.changed, healed.failed) == (len(with_files), 0)
        await _assert_mirror_is_truth(mirror, site)
        settled = await mirror.run_site("s")
        assert (settled.changed, settled.bytes) == (0, 0)


# -- the listing fails: nothing may be concluded, nothing is deleted ------------------------

LISTING_FAULTS: list[tuple[str, dict[str, Any], str | None]] = [
    ("error_500", {}, r"Sitemap\.aspx: HTTP 500$"),
    ("error_503", {"retry_after": 5}, r"Sitemap\.aspx: HTTP 503 \(retry after 5s\)$"),
    ("error_429", {"retry_after": 5}, r"Sitemap\.aspx: HTTP 429 \(retry after 5s\)$"),
    ("truncated", {}, r"Sitemap\.aspx: broken response body"),
    ("stall_after_headers", {"delay": 30}, r"Sitemap\.aspx: timed out"),
    ("no_response", {"delay": 30}, r"Sitemap\.aspx: timed out"),
    ("redirect_loop", {}, r"Sitemap\.aspx: redirect loop at "),
    ("huge_body", {"huge_bytes": HUGE}, r"Sitemap\.aspx: body exceeds"),
    ("crashed_404", {}, r"Sitemap\.aspx: HTTP 404$"),
    ("malformed_xml", {}, None),  # read leniently, but not complete enough to delete from
    ("crashed_empty", {}, None),  # an empty listing is a broken site, not a deleted one
]


async def test_listing_faults_record_why_and_delete_nothing(mirror_of: MirrorOf) -> None:
    async with (
        _site(35) as site,
        mirror_of(site, delete_after_missing=1) as mirror,
    ):
        assert (await mirror.run_site("s")).failed == 0
        before = await _heads(mirror)
        doomed = site.articles()[-1]
        site.delete_article(doomed.article_id)  # a complete listing would delete it at once
        failed_listings: list[str] = []
        for kind, options, explained in LISTING_FAULTS:
            site.add_fault(kind, paths=("/Sitemap.aspx",), **options)
            result = await mirror.run_site("s")
            assert site.fault_hits(kind) > 0, kind
            assert result.deleted == 0, kind
            assert await _heads(mirror) == before, kind
            if explained is None:
                assert result.listing_failed is None, kind
            else:
                assert result.listing_failed is not None, kind
                assert re.search(explained, result.listing_failed), result.listing_failed
                assert result.degraded and (result.new, result.changed) == (0, 0)
                row = await _site_row(mirror)
                assert row.last_error == result.listing_failed and row.degraded
                failed_listings.append(result.listing_failed)
            site.clear_faults()
        assert await _event_messages(mirror, "mirror.failed") == failed_listings
        assert len(await _event_messages(mirror, "site.degraded")) >= 1

        healed = await mirror.run_site("s")
        assert healed.ok and healed.deleted == 1
        after = await _heads(mirror)
        assert after[dnn_key(site.url(doomed.path))][1] is None  # the tombstone
        del after[dnn_key(site.url(doomed.path))]
        assert all(after[key] == before[key] for key in after)
        assert (await _site_row(mirror)).failures == 0


def test_every_fault_kind_is_exercised() -> None:
    """A fault kind added to the simulator needs a case here before it can ship."""
    exercised = set(TEXT_FAULTS)
    exercised |= {str(case.values[0]) for case in TRANSIENT}
    exercised |= {kind for kind, _, _ in [*ITEM_FAULTS, *LISTING_FAULTS]}
    exercised.add("save_then_fault")  # a write-side fault: tests/connectors/test_writer_contract.py
    assert exercised == {kind.value for kind in FaultKind}
