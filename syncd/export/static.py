"""A static, browsable copy of one site: opens from file:// and from any web server path.

Layout (every link relative):
    index.html, index-2.html ...      newest first, PAGE_SIZE per page
    archive.html                      categories and months
    categories/<slug>[-N].html        one listing per category
    yyyy/mm/index.html, page-N.html   one listing per month (Vietnam time)
    articles/<id>-<slug>.html         one page per article
    media/<sha><ext>                  images and documents, each once
    style.css
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from connectors.sniff import inert
from connectors.urls import normalize_key
from syncd.errors import BlobCorrupt, BlobMissing
from syncd.export import article as doc
from syncd.export.css import STYLE
from syncd.export.links import LinkMap, rewrite_links
from syncd.export.names import (
    article_path,
    category_path,
    index_path,
    media_path,
    month_path,
    relative,
    slugify,
)
from syncd.export.pages import (
    Attachment,
    Chrome,
    ListEntry,
    Pager,
    archive_page,
    article_page,
    listing_page,
    local_time,
    show_utc,
)
from syncd.export.select import ExportItem, SelectedRevision, SiteInfo, iter_items
from syncd.store.store import Store

PAGE_SIZE = 20
ARCHIVE = "archive.html"
STYLESHEET = "style.css"


@dataclass
class Counts:
    articles: int = 0
    media: int = 0
    missing_media: int = 0


@dataclass(frozen=True)
class IndexEntry:
    path: str
    title: str
    date: datetime
    summary: str
    categories: tuple[str, ...]
    item_id: int


@dataclass
class CategoryPaths:
    """One file per category name; names that slug alike get -2, -3 ... suffixes."""

    _paths: dict[str, str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)

    def path(self, name: str) -> str:
        if name not in self._paths:
            base = slugify(name) or "khac"
            slug, n = base, 1
            while slug in self._taken:
                n += 1
                slug = f"{base}-x{n}"
            self._taken.add(slug)
            self._paths[name] = category_path(slug)
        return self._paths[name]

    def page(self, name: str, number: int) -> str:
        first = self.path(name)
        return first if number == 1 else first.removesuffix(".html") + f"-{number}.html"


def _write(root: Path, relative_path: str, data: bytes) -> None:
    target = root / relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _label(entry: doc.MediaEntry) -> str:
    return entry.filename or unquote(urlsplit(entry.url).path.rsplit("/", 1)[-1]) or entry.url


class StaticSite:
    def __init__(self, store: Store, site: SiteInfo, as_of: datetime, root: Path) -> None:
        self.store = store
        self.site = site
        self.as_of = as_of
        self.root = root
        self.counts = Counts()
        self.links = LinkMap()
        self.categories = CategoryPaths()
        self.entries: list[IndexEntry] = []
        self._media: dict[str, str] = {}  # sha -> path, each file written once
        self._missing: set[str] = set()

    def chrome(self, page: str) -> Chrome:
        return Chrome(
            self.site.name,
            relative(page, STYLESHEET),
            relative(page, index_path()),
            relative(page, ARCHIVE),
        )

    async def write(self, revisions: Sequence[SelectedRevision]) -> Counts:
        paths = {r.item_id: article_path(r.item_id, r.title) for r in revisions}
        for r in revisions:
            self.links.add_article((r.url, r.source_key), paths[r.item_id])
        async for item in iter_items(self.store, revisions):
            await self._article(item, paths[item.revision.item_id])
        await self._listings()
        await asyncio.to_thread(_write, self.root, STYLESHEET, STYLE.encode())
        return self.counts

    async def _media_file(self, entry: doc.MediaEntry, content_type: str | None) -> str | None:
        if entry.sha is None:
            return None
        if entry.sha in self._media:
            return self._media[entry.sha]
        try:
            data = inert(await self.store.blobs.get(entry.sha), content_type)
        except (BlobMissing, BlobCorrupt):
            return None
        if data is None:
            return None
        path = media_path(entry.sha, content_type, entry.filename, entry.url)
        await asyncio.to_thread(_write, self.root, path, data)
        self._media[entry.sha] = path
        self.counts.media += 1
        return path

    async def _article(self, item: ExportItem, path: str) -> None:
        own = LinkMap()
        media = doc.media_entries(item)
        stored: dict[str, str | None] = {}
        for entry in media:
            stored[entry.url] = await self._media_file(entry, item.media_types.get(entry.sha or ""))
            if stored[entry.url] is None:
                self._missing.add(normalize_key(entry.url))
            else:
                own.add_file(entry.url, stored[entry.url] or "")
        self.counts.missing_media = len(self._missing)

        shown: set[str] = set()
        resolve = self.links.resolver(path, own)

        def remember(url: str) -> str | None:
            shown.add(url)
            return resolve(url)

        body = rewrite_links(doc.text(item.document, "body"), remember)
        attachments = [
            Attachment(
                _label(entry),
                relative(path, stored[entry.url] or "") if stored[entry.url] else entry.url,
                entry.kind,
                missing=stored[entry.url] is None,
            )
            for entry in media
            # images already in the body need no second mention
            if entry.kind != "image" or entry.url not in shown
        ]
        names = doc.categories(item)
        view = doc.article_view(
            item,
            categories=[(n, relative(path, self.categories.path(n))) for n in names],
            body_html=body,
            attachments=attachments,
            as_of=self.as_of,
        )
        html = article_page(self.chrome(path), view)
        await asyncio.to_thread(_write, self.root, path, html.encode("utf-8"))
        self.counts.articles += 1
        self.entries.append(
            IndexEntry(
                path,
                view.title,
                doc.published(item),
                doc.summary(item),
                tuple(names),
                item.revision.item_id,
            )
        )

    async def _listing(
        self,
        heading: str,
        entries: Sequence[IndexEntry],
        page_path: Callable[[int], str],
        note: str | None = None,
    ) -> None:
        pages = max(1, -(-len(entries) // PAGE_SIZE))
        for number in range(1, pages + 1):
            path = page_path(number)
            chunk = entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
            pager = Pager(
                number,
                pages,
                relative(path, page_path(number - 1)) if number > 1 else None,
                relative(path, page_path(number + 1)) if number < pages else None,
            )
            listed = [ListEntry(e.title, relative(path, e.path), e.date, e.summary) for e in chunk]
            html = listing_page(self.chrome(path), heading, listed, pager, note)
            await asyncio.to_thread(_write, self.root, path, html.encode("utf-8"))

    async def _listings(self) -> None:
        entries = sorted(self.entries, key=lambda e: (e.date, e.item_id), reverse=True)
        note = f"Bản lưu ngoại tuyến, tính đến {show_utc(self.as_of)}."
        await self._listing(self.site.name, entries, index_path, note)

        by_category: dict[str, list[IndexEntry]] = defaultdict(list)
        by_month: dict[tuple[int, int], list[IndexEntry]] = defaultdict(list)
        for entry in entries:
            for name in entry.categories:
                by_category[name].append(entry)
            local = local_time(entry.date)
            by_month[(local.year, local.month)].append(entry)
        # Vietnamese letters sort by their base letter, as a reader expects
        names = sorted(by_category, key=lambda n: (slugify(n), n))
        for name in names:
            pages = partial(self.categories.page, name)
            await self._listing(f"Chuyên mục: {name}", by_category[name], pages)
        for (year, month), listed in by_month.items():
            pages = partial(month_path, year, month)
            await self._listing(f"Tháng {month:02d}/{year}", listed, pages)
        html = archive_page(
            self.chrome(ARCHIVE),
            [(name, self.categories.path(name), len(by_category[name])) for name in names],
            [
                (f"Tháng {m:02d}/{y}", month_path(y, m), len(listed))
                for (y, m), listed in sorted(by_month.items(), reverse=True)
            ],
        )
        await asyncio.to_thread(_write, self.root, ARCHIVE, html.encode("utf-8"))


async def write_static(
    store: Store,
    site: SiteInfo,
    revisions: Sequence[SelectedRevision],
    as_of: datetime,
    root: Path,
) -> Counts:
    return await StaticSite(store, site, as_of, root).write(revisions)
