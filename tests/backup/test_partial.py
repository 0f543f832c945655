"""Restoring one site or one item, optionally as of a date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backups.repository import Repository
from syncd.backup.errors import BadDate
from syncd.backup.restore import restore_snapshot
from syncd.backup.scope import Scope, parse_as_of
from syncd.backup.snapshot import run_backup
from syncd.errors import NotFound
from syncd.store.store import Store
from tests.backup.helpers import content


async def test_one_site_as_of_a_date(filled: Store, fresh: Store, local_repo: Repository) -> None:
    await run_backup(filled, local_repo)
    as_of = parse_as_of("2025-03-02")  # end of the second day: revisions 1 and 2 only
    report = await restore_snapshot(local_repo, "latest", fresh, Scope(site="site1", as_of=as_of))
    assert report.complete, report.lines()
    want = await content(filled)
    got = await content(fresh)
    expected = [r for r in want["revisions"] if r[0] == "site1" and r[6] <= as_of]
    assert got["revisions"] == expected
    assert {r[2] for r in expected} == {1, 2}
    heads = {(site, key): seq for site, key, seq, *_ in expected}
    for site, key, seq, _ in got["items"]:
        assert heads[(site, key)] >= seq
    assert all(not deleted for *_, deleted in got["items"])  # tombstones came later
    needed = {r[3] for r in expected if r[3]}
    assert needed <= set(got["blobs"])
    assert all(got["blobs"][sha] == want["blobs"][sha] for sha in got["blobs"])
    assert not {s for s, *_ in got["items"]} - {"site1"}


async def test_one_item_as_of_a_date(
    small: Store, small_fresh: Store, local_repo: Repository
) -> None:
    await run_backup(small, local_repo)
    key = "https://site0.example/tin-tuc/2"  # three revisions, a day apart
    scope = Scope(item=f"site0:{key}", as_of=parse_as_of("2025-03-02"))
    report = await restore_snapshot(local_repo, "latest", small_fresh, scope)
    assert report.complete
    got = await content(small_fresh)
    assert got["items"] == [("site0", key, 2, False)]
    assert [r[2] for r in got["revisions"]] == [1, 2]
    doc = await small_fresh.document((await small_fresh.find_item(f"site0:{key}")).id)
    assert doc[1] is not None and doc[1]["title"] == "Tin 0-2 bản 1"


async def test_one_whole_item_by_its_url(
    small: Store, small_fresh: Store, local_repo: Repository
) -> None:
    await run_backup(small, local_repo)
    key = "https://site1.example/tin-tuc/4"  # two revisions, then deleted; it has media
    await restore_snapshot(local_repo, "latest", small_fresh, Scope(item=key))
    want, got = await content(small), await content(small_fresh)
    assert got["revisions"] == [r for r in want["revisions"] if r[1] == key]
    assert got["items"] == [("site1", key, 3, True)]
    assert len(got["links"]) == 2 and all(sha in got["blobs"] for sha, _ in got["links"])


async def test_unknown_names_and_bad_dates_are_refused(
    small: Store, small_fresh: Store, local_repo: Repository
) -> None:
    await run_backup(small, local_repo)
    with pytest.raises(NotFound, match="no site"):
        await restore_snapshot(local_repo, "latest", small_fresh, Scope(site="nowhere"))
    with pytest.raises(NotFound, match="no item"):
        await restore_snapshot(local_repo, "latest", small_fresh, Scope(item="site0:/khong-co"))
    with pytest.raises(NotFound, match="no snapshot"):
        await restore_snapshot(local_repo, "0123456789abcdef", small_fresh)
    with pytest.raises(BadDate):
        parse_as_of("hôm qua")
    assert parse_as_of("2025-03-02T10:00") == datetime(2025, 3, 2, 10, tzinfo=UTC)
