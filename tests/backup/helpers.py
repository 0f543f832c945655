"""Shared helpers for the backup tests: a populated store, and a full comparison of two stores."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from backups.crypto import ScryptParams
from backups.repository import Repository
from backups.targets.base import Target
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store

FAST_SCRYPT = ScryptParams(n=2**10, r=8, p=1)
PASSPHRASE = "ba con mèo trèo cây cau"
SMALL_PACK = 96 * 1024
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

_WORDS = [
    "Ủy",
    "ban",
    "nhân",
    "dân",
    "huyện",
    "thông",
    "báo",
    "kế",
    "hoạch",
    "phát",
    "triển",
    "kinh",
    "tế",
    "xã",
    "hội",
    "năm",
    "trên",
    "địa",
    "bàn",
    "các",
    "xã",
    "thị",
    "trấn",
    "đồng",
    "chí",
    "chủ",
    "tịch",
    "hội",
    "nghị",
    "tổng",
    "kết",
    "công",
    "tác",
    "chuyển",
    "đổi",
    "số",
]


def text(seed: int, words: int = 300) -> str:
    rnd = random.Random(seed)
    return " ".join(rnd.choice(_WORDS) for _ in range(words))


def image(seed: int, size: int = 20_000) -> bytes:
    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(size)


async def new_repo(target: Target, pack_size: int = SMALL_PACK) -> Repository:
    return await Repository.init(target, PASSPHRASE, pack_size=pack_size, scrypt=FAST_SCRYPT)


async def populate(store: Store, *, sites: int = 2, items: int = 8, start: int = 0) -> None:
    """Items on `sites` sites; each has 1-3 revisions a day apart, some media, a tombstone."""
    for s in range(sites):
        await store.ensure_site(f"site{s}", f"unit{s}", "dnn", f"https://site{s}.example")
        for i in range(start, start + items):
            key = f"https://site{s}.example/tin-tuc/{i}"
            for rev in range(1 + i % 3):
                seed = s * 10_000 + i * 10 + rev
                media = []
                if i % 4 == 0:
                    media.append(await store.put_blob(image(seed), "image/jpeg"))
                await store.record(
                    f"site{s}",
                    key,
                    {"title": f"Tin {s}-{i} bản {rev}", "body": text(seed)},
                    url=key,
                    media=media,
                    at=T0 + timedelta(days=rev, minutes=i),
                )
            if i % 5 == 4:
                await store.tombstone(f"site{s}", key, at=T0 + timedelta(days=5, minutes=i))
    await store.log_event("test.populated", "populated", data={"sites": sites})


async def open_fresh_store(url: str, blobs: Path) -> Store:
    await upgrade(url)
    return Store(create_engine(url), LocalBlobStore(blobs))


async def content(store: Store) -> dict[str, Any]:
    """Every item, revision and blob of a store, by natural keys (ids may differ)."""
    async with store.engine.connect() as conn:
        items = (
            await conn.execute(
                select(
                    t.sites.c.key, t.items.c.source_key, t.items.c.head_seq, t.items.c.deleted
                ).join(t.sites, t.sites.c.id == t.items.c.site_id)
            )
        ).all()
        revs = (
            await conn.execute(
                select(
                    t.sites.c.key,
                    t.items.c.source_key,
                    t.revisions.c.seq,
                    t.revisions.c.content_sha,
                    t.revisions.c.title,
                    t.revisions.c.tombstone,
                    t.revisions.c.created_at,
                )
                .join(t.items, t.items.c.id == t.revisions.c.item_id)
                .join(t.sites, t.sites.c.id == t.items.c.site_id)
            )
        ).all()
        links = (await conn.execute(select(t.revision_blobs.c.sha, t.revision_blobs.c.role))).all()
        blob_rows = (await conn.execute(select(t.blobs.c.sha, t.blobs.c.size))).all()
    blobs = {sha: await store.blobs.get(sha) for sha, _ in blob_rows if await store.blobs.has(sha)}
    return {
        "items": sorted(tuple(r) for r in items),
        "revisions": sorted(
            (r[0], r[1], r[2], r[3], r[4], r[5], r[6].replace(tzinfo=UTC)) for r in revs
        ),
        "links": sorted(tuple(r) for r in links),
        "blobs": blobs,
    }


async def sqlite_store(root: Path, name: str = "store") -> Store:
    return await open_fresh_store(
        f"sqlite+aiosqlite:///{root / name / 'store.db'}", root / name / "blobs"
    )


async def revisions_using(store: Store, shas: set[str]) -> set[tuple[str, str, int]]:
    """(site, source key, seq) of every revision whose document or media is in `shas`."""
    async with store.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    t.sites.c.key,
                    t.items.c.source_key,
                    t.revisions.c.seq,
                    t.revisions.c.content_sha,
                    t.revisions.c.id,
                )
                .join(t.items, t.items.c.id == t.revisions.c.item_id)
                .join(t.sites, t.sites.c.id == t.items.c.site_id)
            )
        ).all()
        links = (
            await conn.execute(select(t.revision_blobs.c.revision_id, t.revision_blobs.c.sha))
        ).all()
    media = {rid for rid, sha in links if sha in shas}
    return {(r[0], r[1], r[2]) for r in rows if r[3] in shas or r[4] in media}


async def all_revisions(store: Store) -> set[tuple[str, str, int]]:
    return {(r[0], r[1], r[2]) for r in (await content(store))["revisions"]}
