"""A faithful simulator of DNN (DotNetNuke) sites for tests, demos and benchmarks.

Self-contained: imports nothing from syncd outside this package (aiohttp, lxml, stdlib).

Start and stop
--------------
    async with SimulatedSite(seed=7, articles=200, images=30, documents=10) as site:
        site.base_url            # "http://127.0.0.1:PORT" (no trailing slash)
        site.rss_url             # core RSS   /RSS.aspx?tabid=56&moduleid=412
        site.sitemap_url         # /Sitemap.aspx
        site.blog_feed_url       # /API/Blog/RSS/Get?tabid=60&moduleid=430
        site.metaweblog_url      # /DesktopModules/Blog/BlogPost.ashx?portalid=0&tabid=60&...

    async with SimulatedNetwork.generate(20, articles=200, seed=1) as net:
        for site in net: ...     # each site on its own free port; names are Vietnamese units

`SimulatedSite(config: SiteConfig | None = None, *, clock: SimClock | None = None, **fields)`;
fields are SiteConfig's: name, seed, articles, images, documents, blog_posts, announcements,
rss_items (20), sitemap_threshold (50_000), tab/module ids, access_token_lifetime (60 min),
renewal_token_lifetime (14 days), users (host/host-password superuser, editor/editor-password).
`site.clock.advance(seconds)` moves simulated time (token expiry, lastmod of later edits).
sitemap_cache (timedelta, default 0) makes Sitemap.aspx lag like DNN's one-day cache.

Surfaces (all relative to base_url; see DESIGN.md section 7)
-------------------------------------------------------------
    /RSS.aspx?tabid=56&moduleid=412          core RSS, newest rss_items, no namespaces
    /Sitemap.aspx[?i=N]                      urlset, or sitemapindex above sitemap_threshold
    /tin-tuc/ArticleId/{id}/{slug}           article page (also /Default.aspx?tabid=56&ArticleId=
                                             and /tabid/56/ArticleId/{id}/x.aspx); /tin-tuc and
                                             /tin-tuc/PgrID/412/PageID/{n} list 10 per page
    /Portals/0/..., /LinkClick.aspx?fileticket=...   files (ETag, Last-Modified, 304)
    /API/Blog/RSS/Get?tabid=60&moduleid=430[&body=true&recs=N&term=T]
    POST /DesktopModules/Blog/BlogPost.ashx  MetaWeblog XML-RPC (faults 801 = bad login)
    /API/Announcements/Announcements/Current/{rss|atom|json}  ModuleId: 425, TabId: 21
    POST /API/JwtAuth/mobile/{login|extendtoken|logout}
    POST /API/InternalServices/FileUpload/PostFile      (Bearer) -> FileId, FilePath
    POST /API/SiteExportImport/ExportImport/Export, GET .../JobDetails?jobId=  (superuser)
Every /API/{Folder}/... route also answers at /DesktopModules/{Folder}/API/....

Ground truth (compare a mirror byte for byte; needs a started site for absolute links)
--------------------------------------------------------------------------------------
    site.articles() -> list[Article]      live published news articles in id order
    site.article(id) -> Article           (UnknownArticle if absent/deleted)
    site.truth() -> list[ArticleTruth]    article + canonical url + MediaTruth(path, url,
                                          content_type, data) for each linked image/document
    site.blog_posts(), site.media() -> list[MediaFile], site.media_bytes(path), site.media_url(path)
Article fields: article_id, kind ("news"/"blog"), title, slug,
path (/tin-tuc/ArticleId/{id}/{slug}), summary (the RSS description), body_html (exactly
the inner HTML of the page's `<div class="edn_article_content Normal">`), author, category,
terms, published, modified (UTC), image_paths, document_paths (decoded /Portals/0/...
paths), is_published.

Mutations
---------
    site.add_article(title, body_html=None, summary=None, category=..., published=True)
    site.edit_article(id, title=None, body_html=None, summary=None)   # modified -> now
    site.set_published(id, False); site.delete_article(id); site.touch()  # touch: new ETags
Over HTTP (never faulted): GET /__sim/, GET|POST /__sim/articles, PATCH|DELETE
/__sim/articles/{id}, POST /__sim/touch, POST|DELETE /__sim/faults[/{kind}], POST /__sim/clock
{"seconds": N}.

Faults (switchable while running)
---------------------------------
    site.add_fault(FaultKind.ERROR_503, retry_after=5, every_nth=2, paths=("/RSS.aspx",))
    site.add_fault("slow", delay=0.5, probability=0.3)
    site.remove_fault(kind); site.clear_faults(); site.fault_hits(kind)
Kinds: see FaultKind (slow, stall_after_headers, no_response, error_500/503/429, truncated,
malformed_xml, charset_mislabelled, charset_missing, cp1258, nfd, redirect_loop, huge_body,
crashed_empty, crashed_404). Probability draws are seeded by the site's seed.

Run standalone: `python -m syncd.simulator --sites 3 --articles 200` prints the URLs.
"""

from __future__ import annotations

from .clock import SimClock
from .config import SimUser, SiteConfig
from .content import Article
from .errors import SimConfigError, SimulatorError, SiteNotRunning, UnknownArticle
from .faults import Fault, FaultKind
from .media import MediaFile
from .network import SimulatedNetwork, unit_name
from .site import ArticleTruth, MediaTruth, SimulatedSite

__all__ = [
    "Article",
    "ArticleTruth",
    "Fault",
    "FaultKind",
    "MediaFile",
    "MediaTruth",
    "SimClock",
    "SimConfigError",
    "SimUser",
    "SimulatedNetwork",
    "SimulatedSite",
    "SimulatorError",
    "SiteConfig",
    "SiteNotRunning",
    "UnknownArticle",
    "unit_name",
]
