"""Mirroring a simulated DNN site end to end: complete, byte-exact, conditional, careful."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from syncd.mirror.runner import Mirror
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from tests.mirror.conftest import MirrorFactory, network_config


async def _revisions(mirror: Mirror) -> int:
    return await mirror.store.count_revisions()


async def _events(mirror: Mirror, kind: str) -> int:
    async with mirror.store.engine.connect() as conn:
        query = select(func.count()).select_from(t.events).where(t.events.c.kind == kind)
        return int((await conn.execute(query)).scalar_one())


async def _assert_matches_truth(mirror: Mirror, site: SimulatedSite) -> None:
    for truth in site.truth():
        item = await mirror.store.find_item(f"s:{truth.url}")
        _, doc = await mirror.store.document(item.id)
        assert doc is not None
        assert doc["title"] == truth.article.title
        assert doc["body"].count("<p") == truth.article.body_html.count("<p")
        stored = {m["sha"] for m in doc["media"]}
        for media in truth.media:
            # byte-exact: the blob named by the file's hash is in the document, and reads back
            sha = hashlib.sha256(media.data).hexdigest()
            assert sha in stored, media.url
            assert await mirror.store.blobs.get(sha) == media.data


async def test_mirror_lifecycle(mirror_for: MirrorFactory) -> None:
    async with (
        SimulatedSite(seed=11, articles=120, images=30, documents=10) as site,
        mirror_for(network_config({"s": site}, delete_after_missing=2)) as mirror,
    ):
        cold = await mirror.run_site("s")
        assert cold.ok and cold.failed == 0
        assert cold.new == cold.listed == len(site.articles())
        await _assert_matches_truth(mirror, site)
        count = await _revisions(mirror)

        warm = await mirror.run_site("s")
        assert (warm.new, warm.changed, warm.failed) == (0, 0, 0)
        assert warm.unchanged == warm.listed
        assert await _revisions(mirror) == count

        edited = [a.article_id for a in site.articles()[:10]]
        for article_id in edited:
            site.edit_article(article_id, body_html="<p>Nội dung đã được cập nhật.</p>")
        after_edit = await mirror.run_site("s")
        assert after_edit.changed == 10 and after_edit.new == 0
        assert await _revisions(mirror) == count + 10

        doomed = [a.article_id for a in site.articles()[-3:]]
        for article_id in doomed:
            site.delete_article(article_id)
        first = await mirror.run_site("s")
        assert first.deleted == 0  # missing once is not yet deleted
        second = await mirror.run_site("s")
        assert second.deleted == 3
        assert await _revisions(mirror) == count + 13
        third = await mirror.run_site("s")
        assert third.deleted == 0


async def test_crashed_site_makes_no_tombstones(mirror_for: MirrorFactory) -> None:
    async with (
        SimulatedSite(seed=12, articles=40, images=5, documents=2) as site,
        mirror_for(network_config({"s": site}, delete_after_missing=1)) as mirror,
    ):
        await mirror.run_site("s")
        count = await _revisions(mirror)
        site.add_fault("crashed_empty")
        for _ in range(3):
            result = await mirror.run_site("s")
            assert result.deleted == 0 and result.degraded
        site.clear_faults()
        site.add_fault("crashed_404")
        crashed = await mirror.run_site("s")
        assert crashed.deleted == 0 and crashed.degraded
        assert await _revisions(mirror) == count
        assert await _events(mirror, "site.degraded") == 1
        site.clear_faults()
        healthy = await mirror.run_site("s")
        assert healthy.ok and healthy.deleted == 0
        assert await _events(mirror, "site.recovered") == 1


async def test_retitled_article_stays_one_item(mirror_for: MirrorFactory) -> None:
    async with (
        SimulatedSite(seed=13, articles=20, images=3, documents=1) as site,
        mirror_for(network_config({"s": site}, delete_after_missing=1)) as mirror,
    ):
        await mirror.run_site("s")
        article = site.articles()[0]
        old_url = site.truth()[0].url
        site.edit_article(article.article_id, title="Tiêu đề mới của bài viết")
        new_url = next(t.url for t in site.truth() if t.article.article_id == article.article_id)
        assert new_url != old_url  # the slug follows the title
        again = await mirror.run_site("s")
        assert (again.new, again.changed, again.deleted) == (0, 1, 0)
        item = await mirror.store.find_item(new_url)
        assert item == await mirror.store.find_item(f"s:{old_url}")
        assert next(r.title for r in await mirror.store.history(item.id)) == (
            "Tiêu đề mới của bài viết"
        )
