"""A site's connector options, as the caller (syncd's config) hands them over."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from connectors.errors import OptionsError


@dataclass(frozen=True)
class ModuleRef:
    """A DNN module on a page: the tab (page) id and the module id."""

    tab_id: int
    module_id: int


@dataclass(frozen=True)
class SiteOptions:
    """Everything a connector needs to know about one site.

    ``feeds`` are RSS/Atom URLs (absolute, or relative to ``base_url``). For dnn sites the
    module refs name core RSS, Blog and Announcements modules to read; ``sitemap`` is the
    sitemap path (None to not read one). ``username``/``password`` are plain strings: resolving
    secrets is the caller's job. ``local`` allows private and loopback addresses (SSRF guard
    off) for sites on the operator's own network, and for tests.
    """

    base_url: str
    name: str = ""
    feeds: tuple[str, ...] = ()
    sitemap: str | None = "/Sitemap.aspx"
    rss_modules: tuple[ModuleRef, ...] = ()
    blog_modules: tuple[ModuleRef, ...] = ()
    announcement_modules: tuple[ModuleRef, ...] = ()
    content_selector: str | None = None
    username: str | None = None
    password: str | None = None
    local: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OptionsError("base_url", f"not an http(s) URL: {self.base_url!r}")
        if (self.username is None) != (self.password is None):
            raise OptionsError("credentials", "give both username and password, or neither")

    def url(self, path_or_url: str) -> str:
        """An absolute URL for a path on the site (absolute URLs pass through)."""
        return urljoin(self.base_url.rstrip("/") + "/", path_or_url)
