"""One mirror pass over one site: list, fetch what changed, store revisions, confirm deletions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Connection

from connectors.base import Connector
from connectors.errors import ConnectorError
from connectors.http import Validators
from connectors.model import Gone, ListedItem, Media, MediaRef, NotModified, RemoteItem
from connectors.schemes import is_web_url
from connectors.sniff import check_media, is_svg
from syncd.mirror.deletions import plan_deletions
from syncd.mirror.document import build_document
from syncd.mirror.validators import StagedValidatorStore, begin_staging
from syncd.store.mirrorstate import FetchRecord, MirrorState, fetch_state_job
from syncd.store.store import Recorded, Store, utcnow
from syncd.syndication.outbox import Outbox

log = structlog.get_logger("syncd.mirror")

Progress = Callable[[int, int], None]


@dataclass
class PassResult:
    site: str
    listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    gone: int = 0  # answered 404/410 while still listed: counted, never deleted for it
    bytes: int = 0
    listing_failed: str | None = None
    degraded: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.listing_failed is None and self.degraded is None


@dataclass(frozen=True)
class SitePolicy:
    confirm_after: int = 3
    mass_share: float = 0.2
    item_concurrency: int = 8


class SitePass:
    """State of one pass; `run` is the entry point."""

    def __init__(
        self,
        store: Store,
        state: MirrorState,
        site_key: str,
        site_id: int,
        connector: Connector,
        validators: StagedValidatorStore,
        policy: SitePolicy,
        progress: Progress | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.outbox = outbox
        self.store, self.state = store, state
        self.site_key, self.site_id = site_key, site_id
        self.connector, self.validators, self.policy = connector, validators, policy
        self.progress = progress
        self.result = PassResult(site_key)
        self.media_cache: dict[str, str | None] = {}
        self.broken: dict[str, str] = {}  # media URL -> why it is not in the store
        self.seen: list[str] = []
        self.log = log.bind(site=site_key)

    async def run(self) -> PassResult:
        try:
            listing = await self.connector.list_items()
        except ConnectorError as exc:
            self.result.listing_failed = str(exc)
            self.result.degraded = f"listing failed: {exc}"
            return self.result
        entries = list({e.key: e for e in listing.entries}.values())
        self.result.listed = len(entries)
        await self._fetch_all(entries)
        now = utcnow()
        await self.state.mark_seen(self.site_id, self.seen, now)
        live = await self.state.live_items(self.site_id)
        plan = plan_deletions(
            live,
            {e.key for e in entries},
            complete=listing.complete,
            confirm_after=self.policy.confirm_after,
            mass_share=self.policy.mass_share,
        )
        await self.state.mark_missing(self.site_id, plan.missing)
        removed = self.outbox.removed if self.outbox else None
        for key in sorted(plan.tombstone):
            await self.store.tombstone(self.site_key, key, at=now, with_record=removed)
            self.result.deleted += 1
        self.result.degraded = plan.degraded or self._gone_degraded()
        return self.result

    def _gone_degraded(self) -> str | None:
        listed = self.result.listed
        if listed and self.result.gone / listed > self.policy.mass_share:
            return f"{self.result.gone} of {listed} listed items answered 'not found'"
        return None

    async def _fetch_all(self, entries: list[ListedItem]) -> None:
        queue: asyncio.Queue[ListedItem] = asyncio.Queue()
        for entry in entries:
            queue.put_nowait(entry)
        done = 0

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                entry = queue.get_nowait()
                # each item in its own task, so its staged validators are its own
                await asyncio.create_task(self._one(entry))
                done += 1
                if self.progress:
                    self.progress(done, len(entries))

        workers = min(self.policy.item_concurrency, max(1, len(entries)))
        await asyncio.gather(*(worker() for _ in range(workers)))

    async def _one(self, entry: ListedItem) -> None:
        staged = begin_staging()
        try:
            fetched = await self.connector.fetch_item(entry)
            if fetched is NotModified:
                self.result.unchanged += 1
                self.seen.append(entry.key)
                return
            if fetched is Gone:
                self.result.gone += 1
                return
            assert isinstance(fetched, RemoteItem)
            media = {ref.url: await self._media(ref) for ref in fetched.media}
            document = build_document(fetched, media, self.broken)
            pending = self._pending_validators(staged, media)
            site_id, site_key, outbox = self.site_id, self.site_key, self.outbox

            def keep_validators(conn: Connection, recorded: Recorded) -> None:
                # the validators commit in the revision's own transaction: with the content,
                # and so do the deliveries the revision causes
                fetch_state_job(site_id, _vouching(pending, recorded))(conn)
                if outbox is not None:
                    outbox.recorded(conn, recorded, site_key, fetched.key, document)

            recorded = await self.store.record(
                self.site_key,
                fetched.key,
                document,
                url=fetched.url,
                kind=fetched.kind,
                media=[sha for sha in media.values() if sha],
                with_record=keep_validators,
            )
        except ConnectorError as exc:
            self.result.failed += 1
            if len(self.result.errors) < 20:
                # fetch errors usually name their URL already
                message = str(exc)
                self.result.errors.append(
                    message if entry.url in message else f"{entry.url}: {message}"
                )
            self.log.warning("item failed", url=entry.url, error=str(exc))
            return
        self.result.bytes += len(fetched.body_html.encode())
        if not recorded.changed:
            self.result.unchanged += 1
        elif recorded.seq == 1:
            self.result.new += 1
        else:
            self.result.changed += 1
        self.seen.append(fetched.key)
        # the revision and its validators are durable: now connectors may be offered them
        self.validators.committed(_vouching(pending, recorded))

    def _pending_validators(
        self, staged: Mapping[str, Validators], media: Mapping[str, str | None]
    ) -> dict[str, tuple[Validators, str | None]]:
        """The validators this item's fetches staged, with the blob of each file (None: the
        page's, whose document blob only the store knows)."""
        if None in media.values():
            # A linked file could not be fetched: with the page's validators kept, the page
            # would answer 304 from now on and the file would never be tried again. A file
            # refused for its content keeps no validators either: it has no blob to vouch for.
            staged = {url: v for url, v in staged.items() if media.get(url)}
        return {url: (v, self.media_cache.get(url)) for url, v in staged.items()}

    async def _media(self, ref: MediaRef) -> str | None:
        """The blob of a file the item refers to, or None (the reason in self.broken). A file
        that cannot be had never fails its article: the article is stored without it, and
        the next pass tries again (see _pending_validators)."""
        if ref.url in self.media_cache:
            return self.media_cache[ref.url]
        sha: str | None = None
        if not is_web_url(ref.url):
            self.broken[ref.url] = "not an http(s) URL"
        else:
            try:
                fetched = await self.connector.fetch_media(ref)
            except ConnectorError as exc:
                # the reason kept in the document stays the same from pass to pass; the
                # detail (status, size, address) goes to the log
                self.broken[ref.url] = "could not be fetched"
                self.log.warning("media not fetched", url=ref.url, error=str(exc))
                fetched = Gone
            if fetched is NotModified:
                # validators are only offered for URLs whose content the store holds
                sha = self.validators.sha_for(ref.url)
            elif fetched is Gone:
                self.broken.setdefault(ref.url, "not found")
            else:
                assert not isinstance(fetched, str)
                sha = await self._keep(ref, fetched)
        self.media_cache[ref.url] = sha
        return sha

    async def _keep(self, ref: MediaRef, fetched: Media) -> str | None:
        if is_svg(fetched.content_type, fetched.data):
            # an SVG is parsed and cleaned: worker thread, like every parse
            checked = await asyncio.to_thread(
                check_media, ref.kind, fetched.content_type, fetched.data
            )
        else:
            checked = check_media(ref.kind, fetched.content_type, fetched.data)  # a few bytes
        if checked.problem is not None:
            self.broken[ref.url] = checked.problem
            self.log.warning("media refused", url=ref.url, problem=checked.problem)
            return None
        self.result.bytes += len(fetched.data)
        return await self.store.put_blob(checked.data, checked.content_type)


def _vouching(
    pending: Mapping[str, tuple[Validators, str | None]], recorded: Recorded
) -> dict[str, FetchRecord]:
    return {
        url: FetchRecord(v.etag, v.last_modified, sha or recorded.content_sha)
        for url, (v, sha) in pending.items()
    }
