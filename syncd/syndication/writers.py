"""A writer per target site, built from its `publish` settings (secrets resolved once)."""

from __future__ import annotations

from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from connectors.http import HttpClient, Trust
from connectors.metaweblog_writer import MetaWeblogTarget, MetaWeblogWriter
from connectors.wordpress_writer import WordPressTarget, WordPressWriter
from connectors.writer import Writer
from syncd.config.model import Config


class Writers:
    """Writers by site key; a site without `publish` settings has none."""

    def __init__(self, config: Config, http: HttpClient) -> None:
        self.config, self.http = config, http
        self._made: dict[str, Writer | None] = {}

    def __call__(self, site_key: str) -> Writer | None:
        if site_key not in self._made:
            self._made[site_key] = self._make(site_key)
        return self._made[site_key]

    def _make(self, site_key: str) -> Writer | None:
        site = next((s for s in self.config.sites if s.key == site_key), None)
        if site is None or site.publish is None:
            return None
        index = self.config.sites.index(site)
        p = site.publish
        # a site marked local may be written on its own private host, and nowhere else
        trust = Trust.for_site(site.base_url, site.local, tuple(site.trusted_hosts))
        password = p.password.reveal(f"sites[{index}].publish.password")
        endpoint = urljoin(site.base_url + "/", p.endpoint)
        if p.kind == "metaweblog":
            return MetaWeblogWriter(
                MetaWeblogTarget(
                    endpoint=endpoint, base_url=site.base_url, username=p.username,
                    password=password, timezone=ZoneInfo(p.timezone), blog_id=p.blog_id,
                    trust=trust,
                ),
                self.http,
            )  # fmt: skip
        return WordPressWriter(
            WordPressTarget(
                api_root=endpoint, username=p.username, app_password=password,
                trust=trust,
            ),
            self.http,
        )  # fmt: skip
