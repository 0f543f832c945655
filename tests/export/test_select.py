"""As-of selection: the newest revision at the date, tombstones and later items left out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.errors import NotFound
from syncd.export import BadDate, parse_as_of
from syncd.export.select import select_revisions, site_info
from syncd.store.store import Store
from tests.export.sample import AS_OF, TITLE_NEW, TITLE_OLD, populate, url


def test_parse_as_of() -> None:
    assert parse_as_of("2026-02-01") == datetime(2026, 2, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_as_of("2026-02-01T10:30") == datetime(2026, 2, 1, 10, 30, tzinfo=UTC)
    assert parse_as_of("2026-02-01T10:30+07:00") == datetime(2026, 2, 1, 3, 30, tzinfo=UTC)
    assert parse_as_of("2026-02-01T10:30:00Z") == datetime(2026, 2, 1, 10, 30, tzinfo=UTC)
    for bad in ("yesterday", "2026-13-01", "01/02/2026", ""):
        with pytest.raises(BadDate, match="--as-of"):
            parse_as_of(bad)


async def test_as_of_picks_the_revision_of_that_day(store: Store) -> None:
    sample = await populate(store, filler=3)
    site = await site_info(store, "konray")
    chosen = await select_revisions(store, site.id, parse_as_of(AS_OF))
    titles = {r.url: r.title for r in chosen}
    assert titles == sample.kept
    assert titles[url(1, "hoi-nghi-tong-ket")] == TITLE_OLD

    now = await select_revisions(store, site.id, datetime.now(UTC))
    titles_now = {r.url: r.title for r in now}
    assert titles_now[url(1, "hoi-nghi-tong-ket")] == TITLE_NEW
    assert url(2, "thong-bao-lich-tiep-cong-dan") not in titles_now  # deleted since
    assert url(4, "tin-moi-thang-hai") in titles_now

    # the end of the day counts: a revision made at 09:00 that day is in, the day before is not
    on_the_day = await select_revisions(store, site.id, parse_as_of("2026-03-05"))
    assert {r.title for r in on_the_day} >= {TITLE_NEW}
    before = await select_revisions(store, site.id, parse_as_of("2025-12-28"))
    assert before == []


async def test_unknown_site_is_named(store: Store) -> None:
    with pytest.raises(NotFound, match="no site 'nowhere'"):
        await site_info(store, "nowhere")
