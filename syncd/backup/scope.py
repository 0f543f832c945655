"""Which rows of a snapshot a restore brings back, and which revisions are known lost (pure).

A whole-store restore keeps every row. `--site` keeps one site's items, `--item` one item,
and `--as-of` only revisions (and items) created up to that moment, with each item's head
moved back to its newest kept revision. Rows lost with a damaged chunk show up as gaps: an
item whose revisions 1..head_seq are not all there, or revisions whose item row is gone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from connectors.urls import normalize_key
from syncd.backup.errors import BadDate
from syncd.errors import NotFound

Rows = dict[str, list[dict[str, Any]]]
# Tables a partial restore needs; everything else (events, fetch state, ...) is whole-store only.
PARTIAL_TABLES = ("units", "sites", "items", "revisions", "revision_blobs", "blobs")


@dataclass(frozen=True)
class Scope:
    site: str | None = None
    item: str | None = None
    as_of: datetime | None = None

    @property
    def whole(self) -> bool:
        return self.site is None and self.item is None


@dataclass(frozen=True, order=True)
class LostRevision:
    site: str
    source_key: str
    seq: int
    reason: str

    def describe(self) -> str:
        return f"{self.site}:{self.source_key} revision {self.seq} ({self.reason})"


@dataclass
class Selection:
    rows: Rows
    needed_blobs: set[str]
    lost: list[LostRevision] = field(default_factory=list)


def parse_as_of(text: str) -> datetime:
    """A date means the end of that day (UTC); a date and time is taken as given (UTC if naive)."""
    try:
        if len(text.strip()) == 10:
            day = datetime.fromisoformat(text.strip()).date()
            return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
                microseconds=1
            )
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadDate(
            f"--as-of {text!r}: expected a date like 2025-05-01 or 2025-05-01T12:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _find_item(items: list[dict[str, Any]], site_keys: dict[int, str], ref: str) -> dict[str, Any]:
    site, sep, rest = ref.partition(":")
    if ref.isdigit():
        found = [i for i in items if i["id"] == int(ref)]
    elif sep and not rest.startswith("//"):
        key = normalize_key(rest)
        found = [i for i in items if site_keys.get(i["site_id"]) == site and i["source_key"] == key]
    else:
        key = normalize_key(ref)
        found = [i for i in items if i["source_key"] == key]
    if not found:
        raise NotFound(f"no item {ref!r} in this snapshot")
    if len(found) > 1:
        raise NotFound(f"{ref!r} names items on several sites; write SITE:{ref}")
    return found[0]


def _not_after(row: dict[str, Any], column: str, as_of: datetime | None) -> bool:
    return as_of is None or row[column] is None or row[column] <= as_of


def select_rows(rows: Rows, scope: Scope) -> Selection:
    sites, items, revisions = (
        rows.get("sites", []),
        rows.get("items", []),
        rows.get("revisions", []),
    )
    site_keys = {int(s["id"]): str(s["key"]) for s in sites}
    item_by_id = {int(i["id"]): i for i in items}
    lost: list[LostRevision] = []
    for rev in revisions:
        if rev["item_id"] not in item_by_id:
            lost.append(LostRevision("?", f"item #{rev['item_id']}", rev["seq"], "item row lost"))

    if scope.item is not None:
        wanted_items = [_find_item(items, site_keys, scope.item)]
        if scope.site is not None and site_keys.get(wanted_items[0]["site_id"]) != scope.site:
            raise NotFound(f"item {scope.item!r} is not on site {scope.site!r}")
    elif scope.site is not None:
        if scope.site not in site_keys.values():
            raise NotFound(f"no site {scope.site!r} in this snapshot")
        wanted_items = [i for i in items if site_keys.get(i["site_id"]) == scope.site]
    else:
        wanted_items = items
    kept_items: dict[int, dict[str, Any]] = {}
    for item in wanted_items:
        if item["site_id"] not in site_keys:
            lost.append(LostRevision("?", item["source_key"], item["head_seq"], "site row lost"))
        elif _not_after(item, "created_at", scope.as_of):
            kept_items[int(item["id"])] = dict(item)

    by_item: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rev in revisions:
        if rev["item_id"] in kept_items and _not_after(rev, "created_at", scope.as_of):
            by_item[int(rev["item_id"])].append(rev)
    kept_revisions: list[dict[str, Any]] = []
    for item_id, item in list(kept_items.items()):
        revs = sorted(by_item.get(item_id, []), key=lambda r: int(r["seq"]))
        present = {int(r["seq"]) for r in revs}
        last = int(item["head_seq"]) if scope.as_of is None else max(present, default=0)
        where = site_keys[int(item["site_id"])]
        for seq in range(1, last + 1):
            if seq not in present:
                lost.append(LostRevision(where, item["source_key"], seq, "revision row lost"))
        if not revs:
            del kept_items[item_id]
            continue
        item["head_seq"] = int(revs[-1]["seq"])
        item["deleted"] = bool(revs[-1]["tombstone"])
        kept_revisions += revs

    revision_ids = {int(r["id"]) for r in kept_revisions}
    links = [rb for rb in rows.get("revision_blobs", []) if rb["revision_id"] in revision_ids]
    needed = {r["content_sha"] for r in kept_revisions if r["content_sha"]}
    needed |= {rb["sha"] for rb in links}
    kept_site_ids = {int(i["site_id"]) for i in kept_items.values()}
    out: Rows = {
        "units": rows.get("units", []),
        "sites": [
            s for s in sites if scope.whole or s["id"] in kept_site_ids or s["key"] == scope.site
        ],
        "items": list(kept_items.values()),
        "revisions": kept_revisions,
        "revision_blobs": links,
    }
    if scope.whole:
        for name, table_rows in rows.items():
            out.setdefault(name, table_rows)
        if scope.as_of is not None:
            out["events"] = [e for e in rows.get("events", []) if _not_after(e, "at", scope.as_of)]
            out["fetch_state"] = []
        else:
            needed |= {b["sha"] for b in rows.get("blobs", [])}
            needed |= {f["sha"] for f in rows.get("fetch_state", []) if f.get("sha")}
    out["blobs"] = [b for b in rows.get("blobs", []) if b["sha"] in needed]
    return Selection(out, needed, sorted(lost))


def revisions_using(rows: Rows, shas: set[str]) -> list[LostRevision]:
    """The kept revisions whose document or media is among the lost blobs `shas`."""
    site_keys = {int(s["id"]): str(s["key"]) for s in rows.get("sites", [])}
    items = {int(i["id"]): i for i in rows.get("items", [])}
    by_id = {int(r["id"]): r for r in rows.get("revisions", [])}
    lost: set[LostRevision] = set()

    def add(rev: dict[str, Any], reason: str) -> None:
        item = items[int(rev["item_id"])]
        lost.add(
            LostRevision(
                site_keys[int(item["site_id"])], item["source_key"], int(rev["seq"]), reason
            )
        )

    for rev in by_id.values():
        if rev["content_sha"] in shas:
            add(rev, f"document {rev['content_sha'][:12]} lost")
    for link in rows.get("revision_blobs", []):
        if link["sha"] in shas and link["revision_id"] in by_id:
            add(by_id[int(link["revision_id"])], f"{link['role']} {link['sha'][:12]} lost")
    return sorted(lost)
