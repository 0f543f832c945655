"""Rebuilding a lost site: every article it had at a moment, put into a fresh site through
that site's writer, with a redirect map from the old URLs to the new.

It rides on the outbox: each article becomes a copy (origin: the article; target: the new
site; route `republish`) with one delivery pinned to the revision current at the moment
chosen, and the delivery worker carries them out, exactly once per article and target. So a
run that stops half-way resumes where it stopped, and a second run creates nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import quoteattr

from sqlalchemy import Connection, insert, select

from syncd.export.select import SelectedRevision, iter_items, select_revisions, site_info
from syncd.store import schema as t
from syncd.store.store import Store, utcnow, write
from syncd.syndication.outbox import add_delivery, origin_id

ROUTE = "republish"


@dataclass(frozen=True)
class RepublishPlan:
    site: str
    target: str
    as_of: datetime
    articles: int
    already: int  # copies of these articles the target already has (or has queued)
    media: int
    categories: tuple[str, ...]  # every category the articles use
    missing_categories: tuple[str, ...]  # of those, the ones the target lacks


async def articles_as_of(store: Store, site: str, as_of: datetime) -> list[SelectedRevision]:
    info = await site_info(store, site)
    return [r for r in await select_revisions(store, info.id, as_of) if r.kind == "article"]


async def plan(
    store: Store, site: str, target: str, as_of: datetime, target_categories: Iterable[str]
) -> RepublishPlan:
    revisions = await articles_as_of(store, site, as_of)
    origins = [origin_id(site, r.source_key) for r in revisions]
    async with store.engine.connect() as conn:
        already = len(
            (
                await conn.execute(
                    select(t.copies.c.id).where(
                        t.copies.c.target_site_key == target, t.copies.c.origin.in_(origins)
                    )
                )
            ).all()
        )
    categories: set[str] = set()
    media = 0
    async for item in iter_items(store, revisions):
        categories.update(str(c) for c in item.document.get("categories") or ())
        media += sum(1 for m in item.document.get("media") or () if m.get("sha"))
    have = set(target_categories)
    return RepublishPlan(
        site, target, as_of, len(revisions), already, media, tuple(sorted(categories)),
        tuple(sorted(categories - have)),
    )  # fmt: skip


async def enqueue(
    store: Store, site: str, target: str, as_of: datetime, target_categories: Iterable[str]
) -> int:
    """A copy and a delivery for every article the target does not have yet; returns how many
    were queued. Categories the target lacks are left off (writers never invent them)."""
    have = set(target_categories)
    revisions = await articles_as_of(store, site, as_of)
    queued = 0
    batch: list[tuple[SelectedRevision, list[str]]] = []
    async for item in iter_items(store, revisions):
        cats = [str(c) for c in item.document.get("categories") or () if str(c) in have]
        batch.append((item.revision, cats))
        if len(batch) >= 200:
            queued += await _enqueue_batch(store, site, target, batch)
            batch = []
    if batch:
        queued += await _enqueue_batch(store, site, target, batch)
    return queued


async def _enqueue_batch(
    store: Store, site: str, target: str, batch: Sequence[tuple[SelectedRevision, list[str]]]
) -> int:
    def job(conn: Connection) -> int:
        now, made = utcnow(), 0
        for revision, categories in batch:
            origin = origin_id(site, revision.source_key)
            exists = conn.execute(
                select(t.copies.c.id).where(
                    t.copies.c.origin == origin, t.copies.c.target_site_key == target
                )
            ).first()
            if exists is not None:
                continue
            payload = {
                "route": ROUTE, "categories": categories, "publish_as": "published",
                "method": "push", "path": [site, target], "attribution": "",
            }  # fmt: skip
            copy_id = conn.execute(
                insert(t.copies).values(
                    origin=origin, source_item_id=revision.item_id, target_site_key=target,
                    route_key=ROUTE, state="pending", path=[site, target], payload=payload,
                    created_at=now, updated_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            revision_id = conn.execute(
                select(t.revisions.c.id).where(
                    t.revisions.c.item_id == revision.item_id, t.revisions.c.seq == revision.seq
                )
            ).scalar_one()
            add_delivery(conn, int(copy_id), int(revision_id), "upsert", payload, now, now)
            made += 1
        return made

    return await write(store.engine, job)


async def progress(store: Store, site: str, target: str) -> tuple[int, int, int]:
    """(delivered, waiting, dead) among this site's copies on the target."""
    c, d = t.copies, t.deliveries
    prefix = origin_id(site, "")
    async with store.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(c.c.state, d.c.state.label("delivery"))
                .outerjoin(d, (d.c.copy_id == c.c.id) & (d.c.state.in_(["pending", "dead"])))
                .where(c.c.target_site_key == target, c.c.origin.startswith(prefix))
            )
        ).all()
    delivered = sum(1 for r in rows if r.state == "active")
    dead = sum(1 for r in rows if r.delivery == "dead")
    return delivered, len(rows) - delivered - dead, dead


async def redirects(store: Store, site: str, target: str) -> list[tuple[str, str]]:
    """(old URL, new URL) for every article of the site that has a copy on the target."""
    c, i = t.copies, t.items
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(i.c.url, c.c.remote_url)
            .join(i, i.c.id == c.c.source_item_id)
            .where(
                c.c.target_site_key == target,
                c.c.origin.startswith(origin_id(site, "")),
                c.c.remote_url.is_not(None),
            )
            .order_by(i.c.url)
        )
        return [(str(r.url), str(r.remote_url)) for r in rows]


def redirect_csv(pairs: Sequence[tuple[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["old_url", "new_url"])
    writer.writerows(pairs)
    return out.getvalue()


def _path_and_query(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def redirect_nginx(pairs: Sequence[tuple[str, str]]) -> str:
    """An nginx `map` on $request_uri, to use with `if ($new_url) { return 301 $new_url; }`
    on the server that keeps the old host name."""
    lines = ["map $request_uri $new_url {", "    default \"\";"]
    for old, new in pairs:
        lines.append(f'    "{_nginx_quote(_path_and_query(old))}" "{_nginx_quote(new)}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nginx_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def redirect_iis(pairs: Sequence[tuple[str, str]]) -> str:
    """An IIS URL Rewrite `rewriteMap` (DNN runs on IIS), with the rule that uses it."""
    lines = ["<rewrite>", "  <rewriteMaps>", '    <rewriteMap name="syncdRedirects">']
    for old, new in pairs:
        lines.append(f"      <add key={quoteattr(_path_and_query(old))} value={quoteattr(new)} />")
    lines += [
        "    </rewriteMap>", "  </rewriteMaps>", "  <rules>",
        '    <rule name="syncd redirects" stopProcessing="true">',
        '      <match url=".*" />',
        '      <conditions><add input="{syncdRedirects:{REQUEST_URI}}" pattern="(.+)" />'
        "</conditions>",
        '      <action type="Redirect" url="{C:1}" redirectType="Permanent" />',
        "    </rule>", "  </rules>", "</rewrite>",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
