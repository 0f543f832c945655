"""Writing the outbox in the revision's own transaction.

The mirror calls `Outbox.recorded` (and `Outbox.removed` for a tombstone) inside the
transaction that stores a revision, so a delivery exists exactly when the revision that caused
it does: a crash between the two is impossible, and nothing is delivered from a revision that
was never committed. The routing decisions are pure (`syncd.syndication.routing`); this module
turns them into rows: one `copies` row per (origin, target) and a `deliveries` row per thing
to do to that copy.

An item whose body carries an origin marker is itself a copy: its origin and path come from
the marker, so it is routed on as the same origin (never back along its path), and when it is
one of our own copies its mirrored revisions are watched for hand edits (divergence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from connectors.origin_marker import find_marker
from syncd.store import schema as t
from syncd.store.store import Recorded, utcnow
from syncd.syndication.routing import Candidate, Decision, Network, RouteRule, plan

# copy states in which a new revision of the source is delivered
LIVE_STATES = ("pending", "active", "unpublished")
# copy states that take no delivery until a person acts
HELD_STATES = ("awaiting_approval", "rejected", "diverged", "unlinked")


def origin_id(site_key: str, source_key: str) -> str:
    return f"{site_key}:{source_key}"


def _text_of(html: str) -> str:
    # keyword filters need words, not markup; a crude strip is enough for matching
    out: list[str] = []
    inside = False
    for ch in html:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
            out.append(" ")
        elif not inside:
            out.append(ch)
    return "".join(out)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def candidate_of(
    site_key: str, source_key: str, document: Mapping[str, Any], first_seen: datetime
) -> Candidate:
    """The item as routing sees it; a copy keeps its origin and extends its path."""
    body = str(document.get("body") or "")
    marker = find_marker(body)
    if marker is not None:
        # a copy stays its origin's, even one that somehow came back to a site on its path
        path = marker.path if site_key in marker.path else (*marker.path, site_key)
        origin = marker.origin
    else:
        origin, path = origin_id(site_key, source_key), (site_key,)
    author = document.get("author")
    return Candidate(
        site=site_key,
        origin=origin,
        path=path,
        title=str(document.get("title") or ""),
        text=_text_of(body),
        categories=tuple(str(c) for c in document.get("categories") or ()),
        author=str(author) if author else None,
        published=_parse_time(document.get("published")),
        first_seen=first_seen,
        kind=str(document.get("kind") or "article"),
    )


def _event(conn: Connection, kind: str, message: str, site: str, severity: str = "info",
           data: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    conn.execute(
        insert(t.events).values(
            at=utcnow(), site_key=site, kind=kind, severity=severity, message=message,
            data=dict(data) if data else None,
        )
    )  # fmt: skip


@dataclass(frozen=True)
class Outbox:
    rules: Sequence[RouteRule]
    network: Network
    attribution: Mapping[str, str]  # route key -> attribution template

    def recorded(
        self,
        conn: Connection,
        recorded: Recorded,
        site_key: str,
        source_key: str,
        document: Mapping[str, Any],
    ) -> None:
        """Deliveries for a revision just written (nothing when the content did not change)."""
        if not recorded.changed:
            return
        now = utcnow()
        item = candidate_of(site_key, source_key, document, now)
        if item.origin != origin_id(site_key, source_key):
            self._watch_copy(conn, recorded, site_key, item.origin)
        revision_id = conn.execute(
            select(t.revisions.c.id).where(
                t.revisions.c.item_id == recorded.item_id, t.revisions.c.seq == recorded.seq
            )
        ).scalar_one()
        for decision in plan(self.rules, self.network, item, now):
            if decision.action != "skip":
                self._enqueue(conn, recorded.item_id, revision_id, item.origin, decision, now)

    def removed(self, conn: Connection, recorded: Recorded) -> None:
        """The source item was deleted or unpublished: its copies follow, per route."""
        if not recorded.changed:
            return
        now = utcnow()
        on_removed = {r.key: r.on_origin_removed for r in self.rules}
        copies = conn.execute(
            select(t.copies.c.id, t.copies.c.route_key, t.copies.c.state).where(
                t.copies.c.source_item_id == recorded.item_id
            )
        ).all()
        for copy in copies:
            action = on_removed.get(copy.route_key, "unpublish")
            if copy.state in HELD_STATES or action == "leave":
                continue
            if copy.state == "pending":
                # never delivered: nothing to take back, only a delivery to call off
                supersede(conn, int(copy.id))
                set_state(conn, int(copy.id), "deleted", now)
                continue
            add_delivery(conn, int(copy.id), None, action, {}, now, now)

    # -- rows ----------------------------------------------------------------------------------

    def _enqueue(
        self,
        conn: Connection,
        item_id: int,
        revision_id: int,
        origin: str,
        decision: Decision,
        now: datetime,
    ) -> None:
        copy = conn.execute(
            select(t.copies).where(
                t.copies.c.origin == origin, t.copies.c.target_site_key == decision.target
            )
        ).first()
        payload = payload_of(decision, self.attribution)
        if copy is None:
            state = "awaiting_approval" if decision.needs_approval else "pending"
            result = conn.execute(
                insert(t.copies).values(
                    origin=origin, source_item_id=item_id, target_site_key=decision.target,
                    route_key=decision.route, state=state, path=list(decision.path),
                    payload=payload, decision_note=decision.reason or None, created_at=now,
                    updated_at=now,
                )
            )  # fmt: skip
            copy_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            if state == "awaiting_approval":
                _event(
                    conn, "syndication.approval_needed",
                    f"copy to {decision.target} waits for approval"
                    + (f": {decision.reason}" if decision.reason else ""),
                    decision.target, data={"copy_id": copy_id, "origin": origin},
                )  # fmt: skip
                return
        else:
            copy_id = int(copy.id)
            # a copy is fed by one source item only; another rendition of the same origin
            # (a copy of it elsewhere) never overwrites it
            if int(copy.source_item_id) != item_id or copy.state not in LIVE_STATES:
                return
        add_delivery(
            conn, copy_id, revision_id, "upsert", payload, decision.not_before or now, now
        )

    def _watch_copy(self, conn: Connection, recorded: Recorded, site_key: str, origin: str) -> None:
        """A mirrored revision of one of our copies: the first after a delivery is the
        baseline; a later one that differs is a hand edit, and the copy is left alone."""
        copy = conn.execute(
            select(t.copies).where(
                t.copies.c.origin == origin, t.copies.c.target_site_key == site_key
            )
        ).first()
        if copy is None:
            return
        values: dict[str, Any] = {}
        if copy.copy_item_id is None:
            values["copy_item_id"] = recorded.item_id
        if copy.state == "active":
            if copy.baseline_sha is None:
                values["baseline_sha"] = recorded.content_sha
            elif copy.baseline_sha != recorded.content_sha:
                values["state"] = "diverged"
                _event(
                    conn, "syndication.diverged",
                    f"copy of {origin} on {site_key} was edited on the site; no longer updated",
                    site_key, severity="warning", data={"copy_id": int(copy.id)},
                )  # fmt: skip
        if values:
            values["updated_at"] = utcnow()
            conn.execute(update(t.copies).where(t.copies.c.id == copy.id).values(**values))



def supersede(conn: Connection, copy_id: int) -> None:
    """Call off the copy's pending deliveries: only the newest thing to do matters."""
    conn.execute(
        update(t.deliveries)
        .where(t.deliveries.c.copy_id == copy_id, t.deliveries.c.state == "pending")
        .values(state="superseded")
    )


def add_delivery(
    conn: Connection,
    copy_id: int,
    revision_id: int | None,
    action: str,
    payload: Mapping[str, Any],
    not_before: datetime,
    now: datetime,
) -> None:
    supersede(conn, copy_id)
    conn.execute(
        insert(t.deliveries).values(
            copy_id=copy_id, revision_id=revision_id, action=action, state="pending",
            payload=dict(payload), attempts=0, not_before=not_before, created_at=now,
        )
    )  # fmt: skip


def set_state(conn: Connection, copy_id: int, state: str, now: datetime, **values: Any) -> None:
    conn.execute(
        update(t.copies)
        .where(t.copies.c.id == copy_id)
        .values(state=state, updated_at=now, **values)
    )

def payload_of(decision: Decision, attribution: Mapping[str, str]) -> dict[str, Any]:
    return {
        "route": decision.route,
        "categories": list(decision.categories),
        "publish_as": decision.publish_as,
        "method": decision.method,
        "path": list(decision.path),
        "attribution": attribution.get(decision.route, ""),
    }
