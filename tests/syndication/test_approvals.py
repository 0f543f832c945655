"""Commune news waits for an editor before it reaches the district; decisions are recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from syncd.store import schema as t
from syncd.syndication.copies import (
    CopyStateError,
    approve,
    awaiting_approval,
    copies_of,
    reject,
    relink,
    unlink,
)
from tests.mirror.conftest import MirrorFactory
from tests.syndication.test_delivery import network

UP = (
    '[[routes]]\nkey = "up"\nfrom_sites = ["c1", "c2"]\nto = { relation = "parent" }\n'
    'publish_as = "published"\napproval = true\n'
)


async def test_commune_news_waits_for_approval(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with network(mirror_for, monkeypatch, articles=1, routes=UP, commune_articles=2) as (
        mirror, deliverer, district, communes
    ):  # fmt: skip
        await mirror.run_site("c1")
        await mirror.run_site("c2")
        waiting = await awaiting_approval(mirror.store)
        assert len(waiting) == 4 and {c.target for c in waiting} == {"d"}
        assert (await deliverer.run_until_idle()).done == 0  # nothing moves unapproved
        assert district.blog_posts(include_drafts=True) == []

        chosen, refused = waiting[0], waiting[1]
        await approve(mirror.store, chosen.id, "bien-tap-vien", "đăng lên huyện")
        await reject(mirror.store, refused.id, "bien-tap-vien", "trùng nội dung")
        with pytest.raises(CopyStateError):
            await reject(mirror.store, refused.id, "x", "again")
        assert (await deliverer.run_until_idle()).done == 1
        (post,) = district.blog_posts(include_drafts=True)
        assert post.title == chosen.title
        assert len(await awaiting_approval(mirror.store)) == 2

        async with mirror.store.engine.connect() as conn:
            decided = {
                r.id: (r.state, r.decided_by, r.decision_note)
                for r in await conn.execute(select(t.copies))
            }
            kinds = [k for (k,) in await conn.execute(select(t.events.c.kind))]
        assert decided[chosen.id] == ("active", "bien-tap-vien", "đăng lên huyện")
        assert decided[refused.id] == ("rejected", "bien-tap-vien", "trùng nội dung")
        assert kinds.count("syndication.approved") == kinds.count("syndication.rejected") == 1

        # unlink: the origin's edits no longer reach the copy; relink brings them back
        info = await copies_of(mirror.store, chosen.source_item_id)
        assert [c.id for c in info] == [chosen.id]
        await unlink(mirror.store, chosen.id, "bien-tap-vien")
        source = next(s for s in communes.values() if chosen.source_url.startswith(s.base_url))
        source_article = next(a for a in source.articles() if a.title == chosen.title)
        source.edit_article(source_article.article_id, title="Đã sửa ở xã")
        await mirror.run_site("c1")
        await mirror.run_site("c2")
        assert (await deliverer.run_until_idle()).done == 0
        await relink(mirror.store, chosen.id, "bien-tap-vien")
        assert (await deliverer.run_until_idle()).done == 1
        assert [p.title for p in district.blog_posts(include_drafts=True)] == ["Đã sửa ở xã"]
