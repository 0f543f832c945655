"""Everything one simulated site knows, shared by its request handlers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from .announcements_data import Announcement, generate_announcements
from .clock import SimClock
from .config import SiteConfig
from .content import (
    BASE_URL_MARK,
    EPOCH,
    Article,
    file_url_path,
    generate_blog_post,
    generate_news,
)
from .errors import SiteNotRunning
from .faults import FaultSet
from .file_layout import blog_thumbnail, document_file, image_file, place_files
from .media import MediaFile
from .store import EntryCollection, MediaLibrary, later_than


@dataclass
class ExportJob:
    job_id: int
    name: str
    mode: str
    created: datetime
    folder: str
    polls: int = 0


@dataclass
class Session:
    """One JWT login: the renewal token stays for the session's whole life."""

    session_id: str
    user_id: int
    renewal_token: str
    renewal_expires: datetime
    access_serial: int = 0


@dataclass
class SiteState:
    config: SiteConfig
    clock: SimClock
    news: EntryCollection
    blog: EntryCollection
    media: MediaLibrary
    announcements: list[Announcement]
    faults: FaultSet
    generation: int = 0
    touched_at: datetime = EPOCH
    last_mutation: datetime = EPOCH
    base_url: str | None = None
    sessions: dict[str, Session] = field(default_factory=dict)
    export_jobs: dict[int, ExportJob] = field(default_factory=dict)
    export_packages: dict[str, dict[str, object]] = field(default_factory=dict)
    # Sitemap part (None = the top document) -> (rendered at, text, last modified).
    sitemap_cache: dict[int | None, tuple[datetime, str, datetime]] = field(default_factory=dict)

    def require_base_url(self) -> str:
        if self.base_url is None:
            raise SiteNotRunning(f"site {self.config.name!r} is not running")
        return self.base_url

    def resolve(self, article: Article) -> Article:
        """The article as served: absolute links carry this site's base URL."""
        html = article.body_html
        if BASE_URL_MARK not in html:
            return article
        body = html.replace(BASE_URL_MARK, self.require_base_url())
        return dataclasses.replace(article, body=body)

    def bump(self) -> None:
        self.generation += 1

    def stamp(self) -> datetime:
        """Time of a mutation: now, but strictly after the previous one (to the second)."""
        self.last_mutation = later_than(self.last_mutation, self.clock.now())
        return self.last_mutation


def file_ticket(file_id: int) -> str:
    """DNN tickets are opaque encrypted ids; a reversible scramble is enough to look the part."""
    return format(file_id * 7_919 + 104_729, "x") + "%3d"


def file_id_from_ticket(ticket: str) -> int | None:
    raw = ticket.removesuffix("%3d").removesuffix("=")
    try:
        value = int(raw, 16) - 104_729
    except ValueError:
        return None
    return value // 7_919 if value >= 0 and value % 7_919 == 0 else None


def build_state(config: SiteConfig, clock: SimClock) -> SiteState:
    """Lay out the files, then let articles generate themselves on first access."""
    media = MediaLibrary()
    image_owner = place_files(config.seed, config.images, max(config.articles, 1), salt=1)
    doc_owner = place_files(config.seed, config.documents, max(config.articles, 1), salt=2)
    images: dict[int, tuple[str, ...]] = {}
    documents: dict[int, tuple[tuple[str, str], ...]] = {}
    for article_id, indices in sorted(image_owner.items()):
        files = [
            media.add(image_file(config.seed, config.portal_id, article_id, i, media.next_id()))
            for i in indices
        ]
        images[article_id] = tuple(f.path for f in files)
    for article_id, indices in sorted(doc_owner.items()):
        pairs: list[tuple[str, str]] = []
        for i in indices:
            doc = media.add(
                document_file(config.seed, config.portal_id, article_id, i, media.next_id())
            )
            # Every other attachment goes through LinkClick.aspx, as the DNN link picker does.
            href = ticket_href(config, doc) if i % 2 == 1 else file_url_path(doc.path)
            pairs.append((doc.path, href))
        documents[article_id] = tuple(pairs)

    def make_news(article_id: int) -> Article:
        return generate_news(
            config.seed,
            article_id,
            config.news_path,
            images.get(article_id, ()),
            documents.get(article_id, ()),
        )

    def make_post(post_id: int) -> Article:
        return generate_blog_post(config.seed, post_id, config.portal_id)

    blog = EntryCollection(config.blog_posts, make_post)
    for post in blog.all():
        media.add(blog_thumbnail(config.seed, post, media.next_id()))
    state = SiteState(
        config=config,
        clock=clock,
        news=EntryCollection(config.articles, make_news),
        blog=blog,
        media=media,
        announcements=generate_announcements(
            config.seed, config.announcements, config.news_path
        ),
        faults=FaultSet(seed=config.seed),
    )
    return state


def ticket_href(config: SiteConfig, media: MediaFile) -> str:
    return (
        f"/LinkClick.aspx?fileticket={file_ticket(media.file_id)}"
        f"&tabid={config.news_tab_id}&portalid={config.portal_id}&mid={config.news_module_id}"
    )
