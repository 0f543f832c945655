"""The issue's "done when", at full scale: 2,000 articles, 300 images, 100 documents."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import and_, func, select

from connectors.http import NO_TRUST, HttpClient, Response, Trust, ValidatorStore
from connectors.sanitize import sanitize_html
from connectors.urls import dnn_key
from syncd.config import Config
from syncd.mirror.runner import Mirror
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.canonical import load_document
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store
from tests.mirror.conftest import TEST_POLICY, network_config
from tests.support.stores import empty_database

# SQLite only: the cold mirror of 2,000 pages took about 55 s on SQLite and 85 s on
# PostgreSQL (2 busy cores), and the store's SQL runs on both in the smaller mirror tests.
BACKEND = ["sqlite"]


class CountingClient(HttpClient):
    """The real HTTP client, noting the status of every GET that returned a response."""

    def __init__(self) -> None:
        super().__init__(TEST_POLICY)
        self.statuses: Counter[int] = Counter()
        self.ok_urls: list[str] = []

    def reset(self) -> None:
        self.statuses.clear()
        self.ok_urls.clear()

    async def get(
        self,
        url: str,
        *,
        validators: ValidatorStore | None = None,
        trust: Trust = NO_TRUST,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        response = await super().get(url, validators=validators, trust=trust, headers=headers)
        self.statuses[response.status] += 1
        if response.status == 200:
            self.ok_urls.append(url)
        return response


@pytest.fixture(params=BACKEND)
async def scale_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with empty_database(request.param, tmp_path) as url:
        yield url


@asynccontextmanager
async def counting_mirror(
    config: Config, store_url: str, blobs: Path
) -> AsyncIterator[tuple[Mirror, CountingClient]]:
    await upgrade(store_url)
    store = Store(create_engine(store_url), LocalBlobStore(blobs))
    try:
        http = CountingClient()
        async with http:
            mirror = Mirror(config, store, http)
            await mirror.register_sites()
            yield mirror, http
    finally:
        await store.close()


async def _count(mirror: Mirror, query: object) -> int:
    async with mirror.store.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())  # type: ignore[call-overload]


async def _tombstones(mirror: Mirror) -> int:
    query = select(func.count()).select_from(t.revisions).where(t.revisions.c.tombstone)
    return await _count(mirror, query)


async def _events(mirror: Mirror, kind: str) -> int:
    query = select(func.count()).select_from(t.events).where(t.events.c.kind == kind)
    return await _count(mirror, query)


async def _head_shas(mirror: Mirror) -> dict[str, str | None]:
    """Each item's head content sha by source key, in one query (2,000 lookups are slow)."""
    head = and_(t.revisions.c.item_id == t.items.c.id, t.revisions.c.seq == t.items.c.head_seq)
    query = select(t.items.c.source_key, t.revisions.c.content_sha).join(t.revisions, head)
    async with mirror.store.engine.connect() as conn:
        return {row.source_key: row.content_sha for row in (await conn.execute(query)).all()}


async def _assert_byte_exact(
    mirror: Mirror, site: SimulatedSite, only: set[int] | None = None
) -> set[str]:
    """Heads equal the site's articles (those in ``only`` when given); returns the shas of
    the files checked byte for byte."""
    heads = await _head_shas(mirror)
    media_checked: set[str] = set()
    for truth in site.truth():
        if only is not None and truth.article.article_id not in only:
            continue
        sha = heads[dnn_key(truth.url)]
        assert sha is not None, truth.url
        doc = load_document(await mirror.store.blobs.get(sha))
        assert doc["title"] == truth.article.title
        assert doc["body"] == sanitize_html(truth.article.body_html, truth.url)
        # documents are linked through LinkClick.aspx, so media are matched by content
        stored = {m["sha"] for m in doc["media"]}
        for media in truth.media:
            media_sha = hashlib.sha256(media.data).hexdigest()
            assert media_sha in stored, media.url
            if media_sha not in media_checked:
                assert await mirror.store.blobs.get(media_sha) == media.data
                media_checked.add(media_sha)
    return media_checked


async def test_mirror_at_full_scale(scale_store_url: str, tmp_path: Path) -> None:
    async with (
        SimulatedSite(seed=2000, articles=2000, images=300, documents=100) as site,
        counting_mirror(
            network_config({"s": site}, delete_after_missing=2), scale_store_url, tmp_path / "b"
        ) as (mirror, http),
    ):
        cold = await mirror.run_site("s")
        assert (cold.new, cold.failed, cold.listed) == (2000, 0, 2000) and cold.ok
        # all 300 images and 100 documents are linked from articles, and were kept
        assert len(await _assert_byte_exact(mirror, site)) == 400
        revisions = await mirror.store.count_revisions()
        assert revisions == 2000

        http.reset()
        warm = await mirror.run_site("s")
        assert (warm.new, warm.changed, warm.failed, warm.unchanged) == (0, 0, 0, 2000)
        assert await mirror.store.count_revisions() == revisions
        # every article page was re-checked and answered 304 (so no file was asked for);
        # only the sitemap, whose validators are not kept between passes, was read in full
        assert http.statuses == Counter({304: 2000, 200: 1})
        assert http.ok_urls == [site.sitemap_url]

        articles = site.articles()
        linking = [a.article_id for a in articles if a.image_paths or a.document_paths]
        plain = [a.article_id for a in articles if not (a.image_paths or a.document_paths)]
        changed = {*linking[:5], *plain[:5]}
        for article_id in changed:
            site.edit_article(article_id)
        edited = await mirror.run_site("s")
        assert (edited.changed, edited.new, edited.failed) == (10, 0, 0)
        # the new revisions keep their files, though those answered 304 this time
        assert len(await _assert_byte_exact(mirror, site, only=changed)) >= 5
        assert await mirror.store.count_revisions() == revisions + 10

        for article in site.articles()[-3:]:
            site.delete_article(article.article_id)
        first = await mirror.run_site("s")
        assert first.deleted == 0 and await _tombstones(mirror) == 0
        confirming = await mirror.run_site("s")
        assert confirming.deleted == 3 and await _tombstones(mirror) == 3
        assert await mirror.store.count_revisions() == revisions + 13

        site.add_fault("crashed_empty")
        for _ in range(3):
            crashed = await mirror.run_site("s")
            assert crashed.degraded and crashed.deleted == 0
        site.clear_faults()
        site.add_fault("crashed_404")
        crashed = await mirror.run_site("s")
        assert crashed.degraded and crashed.deleted == 0
        assert await _tombstones(mirror) == 3
        assert await mirror.store.count_revisions() == revisions + 13
        assert await _events(mirror, "site.degraded") == 1
