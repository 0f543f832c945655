"""SimulatedSite: one DNN-like site on a free 127.0.0.1 port, with a Python control surface."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from . import mutations
from .clock import SimClock
from .config import SiteConfig
from .content import Article, file_url_path
from .errors import SimConfigError, SiteNotRunning
from .faults import Fault, FaultKind
from .media import MediaFile
from .state import ExportJob, SiteState, build_state


@dataclass(frozen=True)
class MediaTruth:
    """A file an article links to: canonical URL, the URL as the body links it, and bytes."""

    path: str
    url: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ArticleTruth:
    """What a perfect mirror of one article holds."""

    article: Article
    url: str
    media: tuple[MediaTruth, ...]


class SimulatedSite:
    """A simulated DNN site. Use `async with SimulatedSite(...) as site:` or start()/stop().

    Serves one aiohttp server on its own 127.0.0.1 port; `base_url` names it.

    Construct with a SiteConfig, or with SiteConfig's fields as keywords
    (`SimulatedSite(seed=3, articles=200, images=30, documents=10, sitemap_threshold=100)`).
    """

    def __init__(
        self, config: SiteConfig | None = None, *, clock: SimClock | None = None, **fields: Any
    ) -> None:
        if config is not None and fields:
            raise SimConfigError("pass either a SiteConfig or keyword fields, not both")
        self.config = config if config is not None else SiteConfig(**fields)
        self.clock = clock if clock is not None else SimClock()
        self.state: SiteState = build_state(self.config, self.clock)
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port unless given); returns the base URL."""
        from .app import build_app  # the app imports this module's types

        if self._runner is not None:
            return self.base_url
        runner = web.AppRunner(
            build_app(self.state),
            access_log=None,
            handler_cancellation=True,  # stalled handlers end when the client gives up
            shutdown_timeout=0.5,
        )
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", port)
        await tcp.start()
        bound = runner.addresses[0][1]
        self._runner = runner
        self.state.base_url = f"http://127.0.0.1:{bound}"
        return self.state.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimulatedSite:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` with no trailing slash; SiteNotRunning before start()."""
        if self._runner is None or self.state.base_url is None:
            raise SiteNotRunning(f"site {self.config.name!r} is not running")
        return self.state.base_url

    @property
    def name(self) -> str:
        return self.config.name

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- well-known endpoints ----------------------------------------------------------------

    @property
    def rss_url(self) -> str:
        c = self.config
        return self.url(f"/RSS.aspx?tabid={c.news_tab_id}&moduleid={c.news_module_id}")

    @property
    def sitemap_url(self) -> str:
        return self.url("/Sitemap.aspx")

    @property
    def blog_feed_url(self) -> str:
        c = self.config
        return self.url(f"/API/Blog/RSS/Get?tabid={c.blog_tab_id}&moduleid={c.blog_module_id}")

    @property
    def metaweblog_url(self) -> str:
        c = self.config
        return self.url(
            f"/DesktopModules/Blog/BlogPost.ashx?portalid={c.portal_id}"
            f"&tabid={c.blog_tab_id}&moduleid={c.blog_module_id}"
        )

    # -- ground truth ------------------------------------------------------------------------

    def articles(self, include_drafts: bool = False) -> list[Article]:
        """Live news articles in id order, bodies exactly as pages serve them."""
        return [self.state.resolve(a) for a in self.state.news.all(include_drafts)]

    def article(self, article_id: int) -> Article:
        """One live article; raises UnknownArticle if absent or deleted."""
        return self.state.resolve(self.state.news.get(article_id))

    def blog_posts(self, include_drafts: bool = False) -> list[Article]:
        return [self.state.resolve(a) for a in self.state.blog.all(include_drafts)]

    def media(self) -> list[MediaFile]:
        """Every file under /Portals/, in file-id order."""
        return self.state.media.all()

    def media_bytes(self, path: str) -> bytes:
        found = self.state.media.by_path(path)
        if found is None:
            raise SimConfigError(f"no file at {path}")
        return found.data()

    def media_url(self, path: str) -> str:
        """Canonical absolute URL of a decoded /Portals/... path."""
        return self.url(file_url_path(path))

    def truth(self) -> list[ArticleTruth]:
        """Every published news article with its canonical URL and linked files' bytes."""
        out: list[ArticleTruth] = []
        for article in self.articles():
            files = []
            for path in article.image_paths + article.document_paths:
                media = self.state.media.by_path(path)
                if media is not None:
                    files.append(
                        MediaTruth(path, self.media_url(path), media.content_type, media.data())
                    )
            out.append(ArticleTruth(article, self.url(article.path), tuple(files)))
        return out

    @property
    def export_jobs(self) -> dict[int, ExportJob]:
        return self.state.export_jobs

    # -- mutations ---------------------------------------------------------------------------

    def add_article(
        self,
        title: str,
        body_html: str | None = None,
        summary: str | None = None,
        category: str = "Tin tức - Sự kiện",
        author: str = "Ban biên tập",
        published: bool = True,
    ) -> Article:
        """Publish a new article now (id = next free id); a body is generated if not given."""
        return mutations.add_article(
            self.state, title, body_html, summary, category, author, published
        )

    def edit_article(
        self,
        article_id: int,
        *,
        title: str | None = None,
        body_html: str | None = None,
        summary: str | None = None,
    ) -> Article:
        """Change an article; `modified` (sitemap lastmod, Last-Modified) moves to now.

        With no changes given, a dated sentence is appended so the body differs.
        """
        return mutations.edit_article(self.state, article_id, title, body_html, summary)

    def set_published(self, article_id: int, published: bool) -> Article:
        """Unpublish (hide from feeds, sitemap and pages) or republish an article."""
        return mutations.set_published(self.state, article_id, published)

    def delete_article(self, article_id: int) -> Article:
        """Remove an article: its page answers 404 and listings drop it."""
        return mutations.delete_article(self.state, article_id)

    def touch(self) -> None:
        """Change nothing visible but every feed, sitemap and page ETag and Last-Modified."""
        mutations.touch(self.state)

    # -- faults ------------------------------------------------------------------------------

    def add_fault(self, kind: FaultKind | str, **options: Any) -> Fault:
        """Switch a fault on (see Fault for options: probability, every_nth, paths, delay,
        retry_after, huge_bytes). Several faults may be active at once."""
        return self.state.faults.add(Fault(FaultKind(kind), **options))

    def remove_fault(self, kind: FaultKind | str) -> None:
        self.state.faults.remove(FaultKind(kind))

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def fault_hits(self, kind: FaultKind | str) -> int:
        """How many requests this kind of fault has struck so far."""
        return self.state.faults.hits.get(FaultKind(kind), 0)
