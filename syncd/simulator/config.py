"""What one simulated site looks like: its name, seed, sizes, module ids and accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .errors import SimConfigError


@dataclass(frozen=True)
class SimUser:
    """A portal account; superusers (hosts) may run site exports."""

    user_id: int
    username: str
    password: str
    display_name: str
    superuser: bool = False
    # False for a blog "ghost writer" whose posts the DNN Blog keeps unpublished until approved
    can_approve: bool = True


def default_users() -> tuple[SimUser, ...]:
    return (
        SimUser(1, "host", "host-password", "Quản trị hệ thống", superuser=True),
        SimUser(2, "editor", "editor-password", "Biên tập viên"),
        SimUser(3, "writer", "writer-password", "Cộng tác viên", can_approve=False),
    )


@dataclass(frozen=True)
class SiteConfig:
    """Everything that shapes one site. Content is a pure function of these values.

    Tab and module ids follow a typical DNN install: news (EasyDNNnews-like) on tab 56
    reachable at /tin-tuc, the Blog module on tab 60, Announcements on the home tab 21.
    """

    name: str = "Cổng thông tin điện tử huyện Kon Rẫy"
    seed: int = 1
    articles: int = 50
    images: int = 10
    documents: int = 5
    blog_posts: int = 8
    announcements: int = 5
    rss_items: int = 20
    sitemap_threshold: int = 50_000
    # DNN caches the sitemap for a day; 0 (the default here) serves it fresh every time.
    sitemap_cache: timedelta = timedelta(0)
    portal_id: int = 0
    home_tab_id: int = 21
    news_tab_id: int = 56
    news_module_id: int = 412
    news_path: str = "tin-tuc"
    blog_tab_id: int = 60
    blog_module_id: int = 430
    announcements_module_id: int = 425
    utc_offset_hours: int = 7
    access_token_lifetime: timedelta = timedelta(minutes=60)
    renewal_token_lifetime: timedelta = timedelta(days=14)
    jwt_enabled: bool = True
    users: tuple[SimUser, ...] = field(default_factory=default_users)

    def __post_init__(self) -> None:
        for label, value in (
            ("articles", self.articles),
            ("images", self.images),
            ("documents", self.documents),
            ("blog_posts", self.blog_posts),
            ("announcements", self.announcements),
        ):
            if value < 0:
                raise SimConfigError(f"{label} must not be negative (got {value})")
        if self.rss_items < 1:
            raise SimConfigError(f"rss_items must be at least 1 (got {self.rss_items})")
        if self.sitemap_threshold < 1:
            raise SimConfigError(
                f"sitemap_threshold must be at least 1 (got {self.sitemap_threshold})"
            )
        if (self.images or self.documents) and not self.articles:
            raise SimConfigError("images and documents need at least one article to sit in")

    def user(self, username: str) -> SimUser | None:
        return next((u for u in self.users if u.username.lower() == username.lower()), None)
