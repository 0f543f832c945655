"""The delivery worker: takes due rows from the outbox and carries them out through writers.

Each round leases the due deliveries (several daemons on one PostgreSQL share them with
`FOR UPDATE SKIP LOCKED`, as they share sites), runs them with a bounded concurrency per
target, and records each outcome in its own transaction.

Exactly one copy per origin and target, even when the process dies between the remote
create and the local record: a copy with no recorded remote id is first looked for on the
target by its origin marker, and only then reserved (a placeholder already carrying the
marker, whose id is recorded at once). See connectors/writer.py.

Failures: a transient one (the target down, 5xx, 429) is retried with jittered exponential
backoff, or after the target's Retry-After; one whose outcome is unknown is retried soon, and
the retry looks for the marker first; one that needs a person (credentials refused, a post
rejected, a category missing) parks the delivery as dead at once. After `max_attempts` a
delivery is dead too. A target's first failure raises one `syndication.target_failing` event
and its first success after that one `syndication.target_recovered`.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, func, insert, select, update

from connectors.errors import ConnectorError
from connectors.http import HttpClient
from connectors.model import Media
from connectors.origin_marker import OriginMarker
from connectors.writer import OutgoingPost, RemoteRef, Writer, upload_media
from connectors.writer_errors import (
    CopyMissing,
    CredentialsRefused,
    OutcomeUnknown,
    PostRejected,
    TargetUnavailable,
    UnknownCategories,
)
from syncd.config.model import Config
from syncd.store import schema as t
from syncd.store.canonical import load_document
from syncd.store.store import Store, utcnow, write

log = structlog.get_logger("syncd.syndication")

NEEDS_A_PERSON = (CredentialsRefused, PostRejected, UnknownCategories)
PLACEHOLDER_WAIT = 5.0  # seconds a delivery waits for a placeholder slot on its target


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 12
    base_delay: float = 30.0  # seconds before the first retry; doubles with each attempt
    max_delay: float = 3600.0
    # short: a daemon killed mid-round holds its deliveries this long (a delivery takes
    # seconds; each HTTP call has its own deadline well under this)
    lease: timedelta = timedelta(minutes=3)
    batch: int = 200
    per_target: int = 4  # deliveries in flight to one target site


def retry_delay(policy: DeliveryPolicy, attempts: int, retry_after: float | None,
                rand: Callable[[], float] = random.random) -> float:  # fmt: skip
    """Seconds until the next attempt: the server's wish when it said one (bounded), else
    full-jitter exponential backoff, so many copies failing at once do not return together."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), policy.max_delay)
    ceiling = min(policy.base_delay * 2 ** max(attempts - 1, 0), policy.max_delay)
    return float(max(1.0, ceiling * (0.5 + rand() / 2)))


@dataclass(frozen=True)
class Due:
    """A leased delivery with what is needed to carry it out."""

    id: int
    copy_id: int
    action: str
    attempts: int
    payload: Mapping[str, Any]
    revision_id: int | None
    origin: str
    target: str
    remote_ref: str | None
    remote_url: str | None
    source_item_id: int


@dataclass
class RoundResult:
    done: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


class Deliverer:
    def __init__(
        self,
        store: Store,
        writer_for: Callable[[str], Writer | None],
        *,
        owner: str,
        source_names: Mapping[str, str],
        policy: DeliveryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        only_targets: frozenset[str] | None = None,
    ) -> None:
        self.store = store
        self.writer_for = writer_for
        self.owner = owner
        self.source_names = source_names
        self.policy = policy or DeliveryPolicy()
        self.clock = clock
        self.only_targets = only_targets  # a republish run delivers to its target alone
        self._failing: dict[str, bool] = {}  # target -> failing, as last recorded
        self._reserving: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._stopping = False

    def stop(self) -> None:
        """Finish the deliveries in flight, start no other, hand the leased rest back."""
        self._stopping = True

    # -- leasing -------------------------------------------------------------------------------

    async def lease_due(self) -> list[Due]:
        now = self.clock()
        until = now + self.policy.lease
        owner, batch, only = self.owner, self.policy.batch, self.only_targets

        def job(conn: Connection) -> list[Due]:
            d, c = t.deliveries, t.copies
            free = (d.c.lease_until.is_(None)) | (d.c.lease_until < now)
            query = (
                select(d.c.id)
                .where(d.c.state == "pending", d.c.not_before <= now, free)
                .order_by(d.c.not_before, d.c.id)
                .limit(batch)
            )
            if only is not None:
                query = query.where(
                    d.c.copy_id.in_(select(c.c.id).where(c.c.target_site_key.in_(sorted(only))))
                )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [int(i) for i in conn.execute(query).scalars()]
            if not ids:
                return []
            conn.execute(
                update(d).where(d.c.id.in_(ids)).values(lease_owner=owner, lease_until=until)
            )
            rows = conn.execute(
                select(
                    d.c.id, d.c.copy_id, d.c.action, d.c.attempts, d.c.payload, d.c.revision_id,
                    c.c.origin, c.c.target_site_key, c.c.remote_ref, c.c.remote_url,
                    c.c.source_item_id,
                )
                .join(c, c.c.id == d.c.copy_id)
                .where(d.c.id.in_(ids))
                .order_by(d.c.not_before, d.c.id)
            ).all()  # fmt: skip
            return [
                Due(
                    int(r.id), int(r.copy_id), r.action, int(r.attempts), r.payload or {},
                    r.revision_id, r.origin, r.target_site_key, r.remote_ref, r.remote_url,
                    int(r.source_item_id),
                )
                for r in rows
            ]  # fmt: skip

        return await write(self.store.engine, job)

    # -- a round -------------------------------------------------------------------------------

    async def run_due(self) -> RoundResult:
        """Carry out every delivery due now (one lease batch); returns what happened."""
        result = RoundResult()
        due = await self.lease_due()
        by_target: dict[str, list[Due]] = defaultdict(list)
        for d in due:
            by_target[d.target].append(d)

        async def drain(items: list[Due]) -> None:
            while items and not self._stopping:
                await self._one(items.pop(0), result)

        await asyncio.gather(
            *(drain(items) for items in by_target.values() for _ in range(self.policy.per_target))
        )
        left = [d.id for items in by_target.values() for d in items]
        if left:
            await self._release(left)
        return result

    async def _release(self, ids: list[int]) -> None:
        owner = self.owner

        def job(conn: Connection) -> None:
            d = t.deliveries
            conn.execute(
                update(d)
                .where(d.c.id.in_(ids), d.c.lease_owner == owner, d.c.state == "pending")
                .values(lease_owner=None, lease_until=None)
            )

        await write(self.store.engine, job)

    async def run_until_idle(self, max_rounds: int = 1000) -> RoundResult:
        """Rounds until nothing is due now (tests, `--burst`)."""
        total = RoundResult()
        for _ in range(max_rounds):
            got = await self.run_due()
            total.done += got.done
            total.retried += got.retried
            total.dead += got.dead
            total.errors.extend(got.errors)
            if not (got.done or got.retried or got.dead):
                break
        return total

    async def _one(self, due: Due, result: RoundResult) -> None:
        writer = None if due.payload.get("method") == "feed" else self.writer_for(due.target)
        try:
            if due.payload.get("method") == "feed":
                # the outgoing feed serves the copy from the store: nothing to push
                await self._finish(due, "active", None)
            elif writer is None:
                await self._dead(due, f"no writer configured for site {due.target!r}", result)
                return
            elif due.action == "upsert":
                if not await self._upsert(writer, due):
                    await self._postpone(due)
                    return
            elif due.action == "unpublish":
                if due.remote_ref:
                    await writer.unpublish(RemoteRef(due.remote_ref, due.remote_url))
                await self._finish(due, "unpublished", None)
            elif due.action == "delete":
                if due.remote_ref:
                    await writer.delete(RemoteRef(due.remote_ref, due.remote_url))
                await self._finish(due, "deleted", None)
            else:
                await self._dead(due, f"unknown action {due.action!r}", result)
                return
        except CopyMissing as exc:
            # removed on the target by hand: a person's decision, not ours to undo
            await self._diverged(due, f"the copy is gone from the target: {exc}")
            await self._dead(due, str(exc), result)
            return
        except NEEDS_A_PERSON as exc:
            await self._target_ok_or_failing(due.target, failing=False)
            await self._dead(due, str(exc), result)
            return
        except (TargetUnavailable, OutcomeUnknown, ConnectorError, OSError) as exc:
            retry_after = exc.retry_after if isinstance(exc, TargetUnavailable) else None
            if isinstance(exc, OutcomeUnknown):
                retry_after = 1.0  # look for the marker soon; the target answered
            await self._target_ok_or_failing(due.target, failing=True, why=str(exc))
            await self._retry(due, str(exc), retry_after, result)
            return
        await self._target_ok_or_failing(due.target, failing=False)
        result.done += 1

    async def _upsert(self, writer: Writer, due: Due) -> bool:
        """Deliver the copy; False when it must wait for a placeholder slot on the target."""
        post, media = await self._post(due)
        ref = RemoteRef(due.remote_ref, due.remote_url) if due.remote_ref else None
        if ref is None:
            ref = await writer.find_copy(post.marker)
            if ref is not None:
                await self._record_ref(due.copy_id, ref)
        if ref is None:
            async with self._reserving[due.target]:
                limit = writer.traits.unfilled_limit
                if limit is not None and await self._unfilled(due.target) >= limit:
                    return False
                await self._mark_reserving(due.copy_id)
                ref = await writer.reserve(post)
                await self._record_ref(due.copy_id, ref)
        post = await upload_media(writer, ref, post, media)
        await writer.update(ref, post)
        if ref.url is None:
            # some APIs answer a create with the id alone: the public URL is needed for the
            # redirect map and the copies listing
            held = await writer.get(ref)
            if held is not None and held.ref.url:
                ref = held.ref
        await self._finish(due, "active", ref)
        return True

    async def _unfilled(self, target: str) -> int:
        """Placeholders on the target that may not have their content yet: reserved and not
        delivered, or in doubt after a crash. A writer whose find_copy sees only the newest
        posts stays exact only while these are fewer than its unfilled_limit."""
        c = t.copies
        async with self.store.engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count()).where(
                            c.c.target_site_key == target,
                            c.c.state == "pending",
                            c.c.remote_ref.is_not(None) | c.c.reserving_since.is_not(None),
                        )
                    )
                ).scalar_one()
            )

    async def _mark_reserving(self, copy_id: int) -> None:
        now = self.clock()

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.copies).where(t.copies.c.id == copy_id).values(reserving_since=now)
            )

        await write(self.store.engine, job)

    async def _post(self, due: Due) -> tuple[OutgoingPost, tuple[Media, ...]]:
        document, url = await self._document(due)
        path = [str(p) for p in due.payload.get("path") or []]
        origin_site = path[0] if path else due.target
        template = str(due.payload.get("attribution") or "")
        name = self.source_names.get(origin_site, origin_site)
        try:
            attribution = template.format(source_name=name)
        except (KeyError, IndexError, ValueError):
            attribution = template
        published = document.get("published")
        post = OutgoingPost(
            title=str(document.get("title") or ""),
            body_html=str(document.get("body") or ""),
            marker=OriginMarker(due.origin, tuple(path[:-1])),
            origin_url=url,
            status="published" if due.payload.get("publish_as") == "published" else "draft",
            published=datetime.fromisoformat(published) if isinstance(published, str) else None,
            categories=tuple(str(c) for c in due.payload.get("categories") or ()),
            author=document.get("author") or None,
            summary=str(document.get("summary") or ""),
            attribution=attribution,
        )
        media: list[Media] = []
        for entry in document.get("media") or ():
            sha = entry.get("sha")
            if not sha:
                continue  # a file the mirror could not fetch: the link stays as it was
            data = await self.store.blobs.get(sha)
            media.append(
                Media(
                    url=str(entry["url"]),
                    content_type=await self._content_type(sha),
                    data=data,
                    filename=entry.get("filename"),
                )
            )
        return post, tuple(media)

    async def _document(self, due: Due) -> tuple[dict[str, Any], str]:
        async with self.store.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.revisions.c.content_sha, t.items.c.url)
                    .join(t.items, t.items.c.id == t.revisions.c.item_id)
                    .where(t.revisions.c.id == due.revision_id)
                )
            ).first()
        if row is None or row.content_sha is None:
            raise PostRejected(due.target, f"revision {due.revision_id} has no document")
        document = load_document(await self.store.blobs.get(row.content_sha))
        return document, str(row.url)

    async def _content_type(self, sha: str) -> str:
        async with self.store.engine.connect() as conn:
            found = (
                await conn.execute(select(t.blobs.c.content_type).where(t.blobs.c.sha == sha))
            ).scalar_one_or_none()
        return str(found or "application/octet-stream")

    # -- outcomes ------------------------------------------------------------------------------

    async def _record_ref(self, copy_id: int, ref: RemoteRef) -> None:
        now = self.clock()

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.copies)
                .where(t.copies.c.id == copy_id)
                .values(remote_ref=ref.id, remote_url=ref.url, reserving_since=None,
                        updated_at=now)
            )

        await write(self.store.engine, job)

    async def _finish(self, due: Due, state: str, ref: RemoteRef | None) -> None:
        now = self.clock()

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == due.id)
                .values(state="done", done_at=now, attempts=due.attempts + 1,
                        lease_owner=None, lease_until=None, last_error=None)
            )  # fmt: skip
            values: dict[str, Any] = {"state": state, "updated_at": now}
            if ref is not None:
                values.update(remote_ref=ref.id, remote_url=ref.url)
            if due.action == "upsert":
                # the next mirrored revision of the copy is ours: it becomes the baseline
                values["baseline_sha"] = None
            copy = t.copies
            keep = ("diverged", "unlinked")
            conn.execute(
                update(copy).where(copy.c.id == due.copy_id, copy.c.state.notin_(keep)).values(
                    **values
                )
            )

        await write(self.store.engine, job)

    async def _postpone(self, due: Due) -> None:
        """Try again shortly, without counting an attempt: the target has as many unfilled
        placeholders as its writer can keep track of."""
        when = self.clock() + timedelta(seconds=PLACEHOLDER_WAIT)

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == due.id)
                .values(not_before=when, lease_owner=None, lease_until=None)
            )

        await write(self.store.engine, job)

    async def _retry(
        self, due: Due, error: str, retry_after: float | None, result: RoundResult
    ) -> None:
        attempts = due.attempts + 1
        if attempts >= self.policy.max_attempts:
            await self._dead(replace(due, attempts=attempts - 1), error, result)
            return
        when = self.clock() + timedelta(seconds=retry_delay(self.policy, attempts, retry_after))

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == due.id)
                .values(attempts=attempts, not_before=when, last_error=error[:2000],
                        lease_owner=None, lease_until=None)
            )  # fmt: skip

        await write(self.store.engine, job)
        result.retried += 1
        log.info("delivery retried", target=due.target, attempts=attempts, error=error)

    async def _dead(self, due: Due, error: str, result: RoundResult) -> None:
        now = self.clock()

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == due.id)
                .values(state="dead", attempts=due.attempts + 1, last_error=error[:2000],
                        done_at=now, lease_owner=None, lease_until=None)
            )  # fmt: skip
            conn.execute(
                insert(t.events).values(
                    at=now, site_key=due.target, kind="syndication.dead", severity="error",
                    message=f"delivery {due.id} of {due.origin} to {due.target} parked: {error}",
                    data={"delivery_id": due.id, "copy_id": due.copy_id},
                )
            )  # fmt: skip

        await write(self.store.engine, job)
        result.dead += 1
        if len(result.errors) < 20:
            result.errors.append(f"{due.target}: {error}")
        log.warning("delivery dead", target=due.target, origin=due.origin, error=error)

    async def _diverged(self, due: Due, why: str) -> None:
        now = self.clock()

        def job(conn: Connection) -> None:
            conn.execute(
                update(t.copies)
                .where(t.copies.c.id == due.copy_id)
                .values(state="diverged", decision_note=why[:2000], updated_at=now)
            )

        await write(self.store.engine, job)

    async def _target_ok_or_failing(
        self, target: str, *, failing: bool, why: str = ""
    ) -> None:
        """One event when a target starts failing, one when it delivers again; the state
        is read from the event log once per process, so a restart neither repeats nor
        forgets it."""
        if target not in self._failing:
            async with self.store.engine.connect() as conn:
                last = (
                    await conn.execute(
                        select(t.events.c.kind)
                        .where(
                            t.events.c.site_key == target,
                            t.events.c.kind.in_(
                                ["syndication.target_failing", "syndication.target_recovered"]
                            ),
                        )
                        .order_by(t.events.c.id.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()
            # another delivery to the same target may have settled it meanwhile
            self._failing.setdefault(target, last == "syndication.target_failing")
        if self._failing[target] == failing:
            return
        self._failing[target] = failing  # before the await: concurrent callers see it
        if failing:
            await self.store.log_event(
                "syndication.target_failing", f"deliveries to {target} fail: {why}",
                site_key=target, severity="warning",
            )  # fmt: skip
        else:
            await self.store.log_event(
                "syndication.target_recovered", f"deliveries to {target} go through again",
                site_key=target,
            )  # fmt: skip


def deliverer_of(config: Config, store: Store, http: HttpClient, owner: str) -> Deliverer | None:
    """The daemon's worker, or None when no route is configured."""
    if not config.routes:
        return None
    from syncd.syndication.writers import Writers

    names = {s.key: config.unit(s.unit).name for s in config.sites}
    return Deliverer(
        store, Writers(config, http), owner=owner, source_names=names,
        policy=policy_of(config),
    )  # fmt: skip


def policy_of(config: Config) -> DeliveryPolicy:
    s = config.syndication
    return DeliveryPolicy(
        max_attempts=s.max_attempts,
        base_delay=s.retry_base.total_seconds(),
        max_delay=s.retry_max.total_seconds(),
        lease=s.lease,
        per_target=s.per_target,
    )
