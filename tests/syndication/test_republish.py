"""Rebuilding a lost site into a fresh one: every article once, media, dates, redirect maps."""

from __future__ import annotations

import csv
from pathlib import Path
from xml.etree import ElementTree

import pytest

from connectors.origin_marker import find_marker
from syncd.simulator import SimulatedSite
from syncd.syndication.republish import redirect_iis, redirect_nginx
from syncd.syndication.republish_run import run_republish
from tests.mirror.conftest import MirrorFactory
from tests.syndication.test_delivery import PASSWORD_ENV, _config


def test_redirect_maps_quote_what_they_must() -> None:
    pairs = [("https://old.gov.vn/tin-tuc/a?id=1&x=\"", "https://new.gov.vn/bai/1")]
    nginx = redirect_nginx(pairs)
    assert '"/tin-tuc/a?id=1&x=\\"" "https://new.gov.vn/bai/1";' in nginx
    root = ElementTree.fromstring(redirect_iis(pairs))
    (entry,) = root.iterfind("rewriteMaps/rewriteMap/add")
    assert entry.get("key") == '/tin-tuc/a?id=1&x="'
    assert entry.get("value") == "https://new.gov.vn/bai/1"


async def test_republish_rebuilds_a_site_once(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store_url: str
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "editor-password")
    async with (
        SimulatedSite(seed=51, articles=12, images=4, documents=2, blog_posts=0) as old,
        SimulatedSite(seed=52, articles=0, images=0, documents=0, blog_posts=0) as fresh,
    ):
        config = _config(old, {"fresh": fresh}, "")
        async with mirror_for(config) as mirror:
            await mirror.run_site("d")
            # the command opens the store the mirror wrote (blobs in tmp_path/blobs)
            daemon = config.daemon.model_copy(
                update={"state_dir": tmp_path, "store_url": store_url}
            )
            config = config.model_copy(update={"daemon": daemon})
            said: list[str] = []
            dry = await run_republish(config, "d", "fresh", None, dry_run=True,
                                      out=tmp_path / "maps", say=said.append)  # fmt: skip
            assert dry.queued == 0 and fresh.blog_posts(include_drafts=True) == []
            assert "12 articles" in said[0]

            report = await run_republish(config, "d", "fresh", None, dry_run=False,
                                         out=tmp_path / "maps", say=said.append)  # fmt: skip
            assert (report.queued, report.delivered, report.dead) == (12, 12, 0)
            posts = fresh.blog_posts(include_drafts=True)
            assert sorted(p.title for p in posts) == sorted(a.title for a in old.articles())
            by_title = {a.title: a for a in old.articles()}
            for post in posts:
                original = by_title[post.title]
                assert post.is_published
                assert post.published == original.published  # the original date kept
                assert find_marker(post.body_html) is not None
                # images and documents were uploaded to the new site, links rewritten
                assert old.base_url not in post.body_html.split("syncd-origin")[0]
            rows = list(csv.reader((tmp_path / "maps" / "d-to-fresh.csv").open()))
            assert rows[0] == ["old_url", "new_url"] and len(rows) == 13
            assert {r[0] for r in rows[1:]} == {old.url(a.path) for a in old.articles()}

            again = await run_republish(config, "d", "fresh", None, dry_run=False,
                                        out=tmp_path / "maps", say=said.append)  # fmt: skip
            assert again.queued == 0
            assert len(fresh.blog_posts(include_drafts=True)) == 12

