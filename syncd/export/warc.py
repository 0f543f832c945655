"""A WARC 1.1 web archive of one site, for standard replay tools (pywb, ReplayWeb.page).

Records, each gzipped on its own: one warcinfo, then for every article a `response` at its
original URL holding a page rebuilt from the stored document (links left absolute, since a
replay tool resolves them against the archive), followed by a `response` for each of its
media files not yet written. WARC-Date is the revision's time, so the archive shows each
page as the mirror saw it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from connectors.schemes import is_web_url
from connectors.sniff import inert
from syncd import __version__
from syncd.errors import BlobCorrupt, BlobMissing
from syncd.export import article as doc
from syncd.export.pages import CONTENT_SECURITY_POLICY, Attachment, Chrome, article_page
from syncd.export.select import ExportItem, SelectedRevision, SiteInfo, iter_items
from syncd.export.static import Counts
from syncd.store.store import Store

HTML_TYPE = "text/html; charset=utf-8"


def warc_date(moment: datetime) -> str:
    """WARC 1.1 allows fractional seconds; keeping them orders revisions made close together."""
    utc = moment.astimezone(UTC)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{utc.microsecond:06d}Z" if utc.microsecond else f"{stamp}Z"


def warc_name(site_key: str, as_of: datetime) -> str:
    return f"{site_key}-{as_of.astimezone(UTC):%Y%m%d%H%M%S}.warc.gz"


def rebuilt_page(item: ExportItem, site: SiteInfo, as_of: datetime) -> bytes:
    media = doc.media_entries(item)
    body = doc.text(item.document, "body")
    view = doc.article_view(
        item,
        categories=[(name, None) for name in doc.categories(item)],
        body_html=body,
        attachments=[
            Attachment(m.filename or m.url, m.url, m.kind, missing=m.sha is None)
            for m in media
            if m.kind != "image" or m.url not in body
        ],
        as_of=as_of,
    )
    return article_page(Chrome(site.name, None), view).encode("utf-8")


class WarcFile:
    def __init__(self, stream: IO[bytes]) -> None:
        self.writer = WARCWriter(stream, gzip=True, warc_version="1.1")

    def info(self, filename: str, fields: dict[str, str]) -> None:
        record = self.writer.create_warcinfo_record(filename, fields)
        self.writer.write_record(record)

    def response(self, url: str, when: datetime, content_type: str, payload: bytes) -> None:
        fields = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
        if content_type == HTML_TYPE:
            # what a replay tool serves with the page: the same policy as its meta element
            fields.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        headers = StatusAndHeaders("200 OK", fields, protocol="HTTP/1.1")
        record: Any = self.writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(payload),
            length=len(payload),
            http_headers=headers,
            warc_headers_dict={"WARC-Date": warc_date(when)},
        )
        self.writer.write_record(record)


async def write_warc(
    store: Store,
    site: SiteInfo,
    revisions: Sequence[SelectedRevision],
    as_of: datetime,
    root: Path,
) -> Counts:
    counts = Counts()
    name = warc_name(site.key, as_of)
    written: set[str] = set()
    missing: set[str] = set()
    stream = await asyncio.to_thread((root / name).open, "wb")
    try:
        warc = WarcFile(stream)
        fields = {
            "software": f"syncd/{__version__}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": site.key,
            "description": f"{site.name} ({site.base_url}) as of {warc_date(as_of)}",
        }
        await asyncio.to_thread(warc.info, name, fields)
        async for item in iter_items(store, revisions):
            when = item.revision.created_at
            page = rebuilt_page(item, site, as_of)
            await asyncio.to_thread(warc.response, doc.source_url(item), when, HTML_TYPE, page)
            counts.articles += 1
            for entry in doc.media_entries(item):
                if entry.url in written:
                    continue
                data = None
                kind = item.media_types.get(entry.sha or "") or "application/octet-stream"
                if entry.sha is not None and is_web_url(entry.url):
                    try:
                        data = inert(await store.blobs.get(entry.sha), kind)
                    except (BlobMissing, BlobCorrupt):
                        data = None
                if data is None:
                    missing.add(entry.url)
                    continue
                await asyncio.to_thread(warc.response, entry.url, when, kind, data)
                written.add(entry.url)
                missing.discard(entry.url)
                counts.media += 1
    finally:
        await asyncio.to_thread(stream.close)
    counts.missing_media = len(missing)
    return counts
