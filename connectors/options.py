"""A site's connector options, as the caller (syncd's config) hands them over."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from connectors.errors import ListingTooLarge, OptionsError
from connectors.http.guard import Trust


@dataclass(frozen=True)
class ModuleRef:
    """A DNN module on a page: the tab (page) id and the module id."""

    tab_id: int
    module_id: int


@dataclass(frozen=True)
class ListingLimits:
    """How much one listing may hold: parts of a sitemap index, URLs (sitemaps and feeds), and
    bytes over the index and all its parts (each body also has the HTTP helper's own cap).
    Passing one is a listing error: the listing is then incomplete and deletes nothing."""

    max_sitemap_parts: int = 200
    max_urls: int = 100_000
    max_sitemap_bytes: int = 256 * 1024 * 1024

    def check_urls(self, url: str, count: int) -> None:
        """Raise ListingTooLarge when the listing read from ``url`` holds more than max_urls."""
        if count > self.max_urls:
            raise ListingTooLarge(url, f"more than {self.max_urls} URLs", "max_listed_urls")


@dataclass(frozen=True)
class SiteOptions:
    """Everything a connector needs to know about one site.

    ``feeds`` are RSS/Atom URLs (absolute, or relative to ``base_url``). For dnn sites the
    module refs name core RSS, Blog and Announcements modules to read; ``sitemap`` is the
    sitemap path (None to not read one). ``username``/``password`` are plain strings: resolving
    secrets is the caller's job. ``local`` lets the site's own origin (host and port of
    ``base_url``) resolve to private and loopback addresses, for sites on the operator's own
    network and for tests; ``trusted_hosts`` ('host' or 'host:port') are trusted the same way.
    Every other host the site's content names must be public. ``allow_insecure_login`` lets
    credentials go over plain http.
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
    trusted_hosts: tuple[str, ...] = ()
    allow_insecure_login: bool = False
    limits: ListingLimits = field(default_factory=ListingLimits)
    # Built in __post_init__ from base_url, local and trusted_hosts.
    trust: Trust = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OptionsError("base_url", f"not an http(s) URL: {self.base_url!r}")
        if (self.username is None) != (self.password is None):
            raise OptionsError("credentials", "give both username and password, or neither")
        try:
            trust = Trust.for_site(self.base_url, self.local, self.trusted_hosts)
        except ValueError as error:
            raise OptionsError("trusted_hosts", str(error)) from None
        object.__setattr__(self, "trust", trust)

    def url(self, path_or_url: str) -> str:
        """An absolute URL for a path on the site (absolute URLs pass through)."""
        return urljoin(self.base_url.rstrip("/") + "/", path_or_url)
