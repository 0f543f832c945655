"""District news reaching commune sites through the outbox, over real HTTP to simulated DNN
sites whose BlogPost.ashx behaves as the DNN Blog module's does."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connectors.origin_marker import find_marker
from syncd.config import Config, parse_config
from syncd.mirror.runner import Mirror
from syncd.simulator import SimulatedSite
from syncd.simulator.faults import FaultKind
from syncd.store import schema as t
from syncd.store.store import utcnow
from syncd.syndication.delivery import Deliverer, DeliveryPolicy
from syncd.syndication.writers import Writers
from tests.mirror.conftest import MirrorFactory

PASSWORD_ENV = "SYNCD_TEST_BLOG_PASSWORD"


def _config(district: SimulatedSite, communes: dict[str, SimulatedSite], route: str) -> Config:
    lines = [
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n',
    ]
    for key in communes:
        lines.append(
            f'[[units]]\nkey = "u-{key}"\nname = "Xã {key}"\nlevel = "commune"\nparent = "kr"\n'
        )
    lines.append(
        f'[[sites]]\nkey = "d"\nunit = "kr"\nkind = "dnn"\nbase_url = "{district.base_url}"\n'
        "local = true\noptions = { delete_after_missing = 1, mass_disappearance = 1.0 }\n"
    )
    lines.append(
        f'publish = {{ kind = "metaweblog", endpoint = "{district.metaweblog_url}", '
        f'username = "editor", password = {{ env = "{PASSWORD_ENV}" }} }}\n'
    )
    for key, site in communes.items():
        c = site.config
        lines.append(
            f'[[sites]]\nkey = "{key}"\nunit = "u-{key}"\nkind = "dnn"\n'
            f'base_url = "{site.base_url}"\nlocal = true\n'
            f'options = {{ blog_modules = ["{c.blog_tab_id}:{c.blog_module_id}"] }}\n'
            f'publish = {{ kind = "metaweblog", endpoint = "{site.metaweblog_url}", '
            f'username = "editor", password = {{ env = "{PASSWORD_ENV}" }}, '
            f'timezone = "Asia/Ho_Chi_Minh" }}\n'
        )
    lines.append(route)
    return parse_config("".join(lines))


DOWN = (
    '[[routes]]\nkey = "down"\nfrom_sites = ["d"]\nto = { relation = "children" }\n'
    'publish_as = "published"\n'
)


@asynccontextmanager
async def network(
    mirror_for: MirrorFactory,
    monkeypatch: pytest.MonkeyPatch,
    articles: int = 4,
    routes: str = DOWN,
    commune_articles: int = 0,
) -> AsyncIterator[tuple[Mirror, Deliverer, SimulatedSite, dict[str, SimulatedSite]]]:
    monkeypatch.setenv(PASSWORD_ENV, "editor-password")
    async with (
        SimulatedSite(seed=31, articles=articles, images=2, documents=0, blog_posts=0) as district,
        SimulatedSite(seed=32, articles=commune_articles, images=0, documents=0, blog_posts=0)
        as c1,
        SimulatedSite(seed=33, articles=commune_articles, images=0, documents=0, blog_posts=0)
        as c2,
    ):
        communes = {"c1": c1, "c2": c2}
        config = _config(district, communes, routes)
        async with mirror_for(config) as mirror:
            names = {s.key: config.unit(s.unit).name for s in config.sites}
            deliverer = Deliverer(
                mirror.store, Writers(config, mirror.http), owner="test", source_names=names,
                policy=DeliveryPolicy(base_delay=0.01, max_delay=0.05),
            )  # fmt: skip
            yield mirror, deliverer, district, communes


async def _rows(mirror: Mirror, table: Any) -> list[Any]:
    async with mirror.store.engine.connect() as conn:
        return list((await conn.execute(select(table).order_by(table.c.id))).all())


async def test_district_news_reaches_every_commune_once(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with network(mirror_for, monkeypatch) as (mirror, deliverer, district, communes):
        first = await mirror.run_site("d")
        assert first.new == len(district.articles()) == 4
        deliveries = await _rows(mirror, t.deliveries)
        assert len(deliveries) == 8 and {d.state for d in deliveries} == {"pending"}

        done = await deliverer.run_until_idle()
        assert (done.done, done.dead, done.retried) == (8, 0, 0), done.errors
        titles = sorted(a.title for a in district.articles())
        for site in communes.values():
            posts = site.blog_posts(include_drafts=True)
            assert sorted(p.title for p in posts) == titles
            for post in posts:
                marker = find_marker(post.body_html)
                assert marker is not None and marker.path == ("d",)
                assert marker.origin.startswith("d:")
                assert "Huyện Kon Rẫy" in post.body_html  # the attribution
                assert post.is_published

        # nothing changed: a second pass and round deliver nothing and create nothing
        await mirror.run_site("d")
        again = await deliverer.run_until_idle()
        assert (again.done, again.dead) == (0, 0)
        assert all(len(s.blog_posts(include_drafts=True)) == 4 for s in communes.values())
        copies = await _rows(mirror, t.copies)
        assert len(copies) == 8 and {c.state for c in copies} == {"active"}


async def test_copies_follow_edits_and_removal_but_not_over_a_hand_edit(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with network(mirror_for, monkeypatch, articles=2) as (
        mirror, deliverer, district, communes
    ):  # fmt: skip
        await mirror.run_site("d")
        await deliverer.run_until_idle()
        for key in communes:
            pass_ = await mirror.run_site(key)  # the copies are mirrored: baselines set
            assert pass_.new == 2
        copies = await _rows(mirror, t.copies)
        assert all(c.copy_item_id is not None and c.baseline_sha for c in copies)

        edited, removed = district.articles()
        district.edit_article(edited.article_id, title="Tiêu đề đã sửa")
        await mirror.run_site("d")
        assert (await deliverer.run_until_idle()).done == 2
        for site in communes.values():
            assert "Tiêu đề đã sửa" in {p.title for p in site.blog_posts(include_drafts=True)}
        for key in communes:
            await mirror.run_site(key)  # our own update: a new baseline, not a divergence
        assert {c.state for c in await _rows(mirror, t.copies)} == {"active"}

        # an editor on c1 changes the copy by hand: it is marked diverged and left alone
        c1 = communes["c1"]
        post = next(p for p in c1.blog_posts() if p.title == "Tiêu đề đã sửa")
        hand_edit = "<p>Sửa tay tại xã.</p>" + post.body_html  # the marker link stays
        c1.state.blog.put(dataclasses.replace(post, body=hand_edit, modified=c1.state.stamp()))
        await mirror.run_site("c1")
        states = {(c.target_site_key, c.origin): c.state for c in await _rows(mirror, t.copies)}
        assert sorted(states.values()).count("diverged") == 1
        district.edit_article(edited.article_id, title="Sửa lần hai")
        await mirror.run_site("d")
        assert (await deliverer.run_until_idle()).done == 1  # only c2's copy
        assert "Sửa lần hai" not in {p.title for p in communes["c1"].blog_posts()}
        assert "Sửa lần hai" in {p.title for p in communes["c2"].blog_posts()}

        # the origin is deleted: its copies are unpublished (the route's default)
        district.delete_article(removed.article_id)
        await mirror.run_site("d")
        assert (await deliverer.run_until_idle()).done == 2
        for site in communes.values():
            assert removed.title not in {p.title for p in site.blog_posts()}
            assert removed.title in {p.title for p in site.blog_posts(include_drafts=True)}


class SteppingClock:
    """Simulated time for the worker: each read moves it on by `step`."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


async def test_a_target_down_for_ten_minutes_gets_everything_after(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with network(mirror_for, monkeypatch, articles=3) as (
        mirror, deliverer, district, communes
    ):  # fmt: skip
        await mirror.run_site("d")
        down = communes["c1"]
        down.add_fault(FaultKind.ERROR_500, paths=("/DesktopModules/Blog/BlogPost.ashx",))
        clock = SteppingClock(utcnow(), timedelta(seconds=20))
        deliverer.clock = clock
        deliverer.policy = DeliveryPolicy(base_delay=30, max_delay=120, max_attempts=50)
        start = clock.now
        while clock.now - start < timedelta(minutes=10):
            await deliverer.run_due()
        assert communes["c1"].blog_posts(include_drafts=True) == []
        assert len(communes["c2"].blog_posts()) == 3  # the healthy target was not held up
        down.clear_faults()
        for _ in range(60):
            await deliverer.run_due()
            if len(down.blog_posts()) == 3:
                break
        assert sorted(p.title for p in down.blog_posts()) == sorted(
            a.title for a in district.articles()
        )
        events = [r.kind for r in await _rows(mirror, t.events) if r.site_key == "c1"]
        assert events.count("syndication.target_failing") == 1
        assert events.count("syndication.target_recovered") == 1
        assert "syndication.dead" not in events
        assert {d.state for d in await _rows(mirror, t.deliveries)} == {"done"}


async def test_refused_credentials_park_the_delivery_with_one_line(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with network(mirror_for, monkeypatch, articles=1) as (mirror, deliverer, _, communes):
        await mirror.run_site("d")
        monkeypatch.setenv(PASSWORD_ENV, "wrong")
        deliverer.writer_for = Writers(
            mirror.config, mirror.http
        )  # secrets are read when a writer is made
        got = await deliverer.run_until_idle()
        assert (got.done, got.dead) == (0, 2)
        assert all("\n" not in e and "password" in e.lower() for e in got.errors), got.errors
        dead = [r for r in await _rows(mirror, t.events) if r.kind == "syndication.dead"]
        assert len(dead) == 2 and all(r.severity == "error" for r in dead)
        assert communes["c1"].blog_posts(include_drafts=True) == []


async def test_dead_deliveries_show_and_go_again_once_fixed(
    mirror_for: MirrorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncd.syndication.copies import retry_dead
    from syncd.web.page import render_status
    from syncd.web.report import build_report, report_json

    async with network(mirror_for, monkeypatch, articles=1) as (mirror, deliverer, _, communes):
        await mirror.run_site("d")
        monkeypatch.setenv(PASSWORD_ENV, "wrong")
        deliverer.writer_for = Writers(mirror.config, mirror.http)
        await deliverer.run_until_idle()
        report = await build_report(mirror.store.engine, version="test")
        assert any("2 deliveries parked as dead" in line for line in report.attention)
        data = report_json(report)["syndication"]
        assert data["dead_deliveries"] == 2 and len(data["dead"]) == 2
        assert 'id="dead"' in render_status(report)

        monkeypatch.setenv(PASSWORD_ENV, "editor-password")
        deliverer.writer_for = Writers(mirror.config, mirror.http)
        assert await retry_dead(mirror.store, None, "operator") == 2
        assert (await deliverer.run_until_idle()).done == 2
        assert all(len(s.blog_posts()) == 1 for s in communes.values())
        report = await build_report(mirror.store.engine, version="test")
        assert not report.attention or all("syndication" not in a for a in report.attention)
