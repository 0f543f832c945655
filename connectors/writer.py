"""The writer protocol: how syncd puts a copy of an article on a target site.

Exactly-once delivery rests on three steps that every writer supports the same way::

    ref = recorded_ref or await writer.find_copy(marker)
    if ref is None:
        ref = await writer.reserve(post)   # may raise OutcomeUnknown: look again, then retry
        record(ref)                        # the caller's durable record
    post = await upload_media(writer, ref, post, blobs)
    await writer.update(ref, post)         # idempotent
    record(delivered)

``reserve`` writes a draft placeholder that already carries the origin marker, in a place
where ``find_copy`` is sure to see it (see each writer for how): if the process dies between
the remote write and the local record, the next attempt finds the placeholder instead of
creating a second copy. A writer never invents categories and never trusts a fault or a
return value alone to know whether a post exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from connectors.media_links import rewrite_media
from connectors.model import Media
from connectors.origin_marker import OriginMarker, with_marker
from connectors.writer_errors import UnknownCategories

PostStatus = Literal["draft", "published"]


@dataclass(frozen=True)
class OutgoingPost:
    """A copy as syncd wants it on the target. ``body_html`` has absolute URLs; the marker
    link to ``origin_url`` (with ``attribution`` as its text) is added by the writer.
    ``categories`` are the target's own names (after the route's crosswalk)."""

    title: str
    body_html: str
    marker: OriginMarker
    origin_url: str
    status: PostStatus = "published"
    published: datetime | None = None  # UTC; None lets the target choose
    categories: tuple[str, ...] = ()
    author: str | None = None
    summary: str = ""
    attribution: str = ""

    def marked_body(self) -> str:
        return with_marker(self.body_html, self.marker, self.origin_url, self.attribution)


@dataclass(frozen=True)
class RemoteRef:
    """A copy on the target: its id there and, when known, its public URL."""

    id: str
    url: str | None = None


@dataclass(frozen=True)
class RemoteCopy:
    """What the target holds now, normalised so it compares with what was delivered:
    ``body_html`` has absolute URLs and still carries the marker."""

    ref: RemoteRef
    title: str
    body_html: str
    status: PostStatus
    published: datetime | None  # UTC
    categories: tuple[str, ...]
    marker: OriginMarker | None


@dataclass(frozen=True)
class WriterTraits:
    """What a target's API allows, so callers know what fidelity to expect.

    ``media_scope`` is "site" when an uploaded file can serve every copy, "copy" when the
    target moves a file into the first post that links it (DNN Blog), so uploads are
    deduplicated per copy. ``unfilled_limit`` is how many reserved but unfilled placeholders
    may exist at once for find_copy to stay exact (None: no limit)."""

    dates: bool
    authors: bool
    media_scope: Literal["site", "copy"]
    unfilled_limit: int | None


class Writer(Protocol):
    """Writes copies to one target site. Every method may raise a WriteError subclass
    (connectors.writer_errors); anything else is a bug."""

    @property
    def traits(self) -> WriterTraits: ...

    async def find_copy(self, marker: OriginMarker) -> RemoteRef | None:
        """The copy of ``marker.origin`` on this target (whatever path it took), or None."""
        ...

    async def reserve(self, post: OutgoingPost) -> RemoteRef:
        """Create a draft placeholder carrying ``post``'s title and marker, findable by
        find_copy until ``update`` fills it."""
        ...

    async def update(self, ref: RemoteRef, post: OutgoingPost) -> None:
        """Make the copy hold ``post`` (content, date, categories, status). Raises
        UnknownCategories before writing anything, CopyMissing if the copy is gone."""
        ...

    async def unpublish(self, ref: RemoteRef) -> None:
        """Take the copy off the public site, keeping it as a draft."""
        ...

    async def delete(self, ref: RemoteRef) -> None:
        """Remove the copy for good; deleting a copy that is already gone is not an error."""
        ...

    async def upload_media(self, ref: RemoteRef, media: Media) -> str:
        """The URL of ``media`` on the target for copy ``ref``: an upload already there with
        the same bytes (sha-256) is reused, otherwise the file is uploaded."""
        ...

    async def get(self, ref: RemoteRef) -> RemoteCopy | None:
        """What the target holds for ``ref`` now (None when it is gone): for divergence."""
        ...

    async def list_categories(self) -> tuple[str, ...]:
        """The category names posts may use on this target."""
        ...


# Hashing or encoding more than this many bytes goes to a worker thread, off the event loop.
OFF_LOOP_BYTES = 1 << 20


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def digest_of(data: bytes) -> str:
    """_sha256_hex(data), computed in a worker thread when ``data`` is large."""
    if len(data) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(_sha256_hex, data)
    return _sha256_hex(data)


async def upload_media(
    writer: Writer, ref: RemoteRef, post: OutgoingPost, media: tuple[Media, ...]
) -> OutgoingPost:
    """``post`` with its images and documents uploaded to the target once and the links in
    its body pointing at the uploaded copies. ``media`` holds the files the body links to,
    each under the URL the body uses."""
    # links in HTML escape '&' in a query: compare with the text as the attributes read
    linked = html.unescape(post.body_html)
    uploaded = {m.url: await writer.upload_media(ref, m) for m in media if m.url in linked}
    return replace(post, body_html=rewrite_media(post.body_html, uploaded))


def check_categories(target: str, wanted: tuple[str, ...], known: tuple[str, ...]) -> None:
    """Raise UnknownCategories when ``wanted`` names a category ``known`` lacks."""
    missing = tuple(c for c in wanted if c not in known)
    if missing:
        raise UnknownCategories(target, missing)
