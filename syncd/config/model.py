"""The configuration as typed data. Every setting carries its help text (the settings registry).

Cross-references (a site's unit, a route's sites, the unit tree) are checked in `Config`
after the fields themselves, so each message can name the exact key path.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from syncd.config.addresses import (
    check_http_url,
    check_store_url,
    check_url_or_path,
    split_listen,
)
from syncd.config.durations import AS_TEXT, at_least
from syncd.config.secrets import SecretRef

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Key = Annotated[str, Field(pattern=KEY_PATTERN)]

# Durations, parsed once at load. Each kind has the lowest value that still makes sense; the
# example configuration states them.
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
# a pause between two requests to one host: 0s is no pause
Delay = Annotated[timedelta, at_least(timedelta(0)), AS_TEXT]
# polling a site more often than this is harder on it than any reader, and a pass of a large
# site takes longer anyway
PollInterval = Annotated[timedelta, at_least(timedelta(seconds=10)), AS_TEXT]
# each alert round reads the whole store's health
CheckInterval = Annotated[timedelta, at_least(timedelta(seconds=10)), AS_TEXT]
# an age after which something is reported: shorter ones would fire between two passes
AlertAge = Annotated[timedelta, at_least(5 * MINUTE), AS_TEXT]
# how often a lasting alert is told again; 0s tells it once
RepeatInterval = Annotated[timedelta, at_least(MINUTE, zero=True), AS_TEXT]
# waiting on a remote site: shorter would fail healthy sites on a busy network
Timeout = Annotated[timedelta, at_least(timedelta(seconds=1)), AS_TEXT]
# snapshots newer than this are all kept
KeepWithin = Annotated[timedelta, at_least(HOUR), AS_TEXT]
# a route's filter on an item's age: under an hour would drop news between two polls
MaxAge = Annotated[timedelta, at_least(HOUR), AS_TEXT]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DaemonSettings(_Strict):
    state_dir: Path = Field(
        Path("state"),
        description="Folder for the SQLite store, blobs and run files. Under systemd, "
        "$STATE_DIRECTORY wins when this is left at its default.",
    )
    store_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store. Unset: SQLite in state_dir. For PostgreSQL: "
        "postgresql+asyncpg://user@host/db.",
    )
    blob_target: str | None = Field(
        None,
        description="Key of a backup_targets entry of kind s3 to hold blobs, so several daemons "
        "share one store. Unset: blobs live in state_dir/blobs.",
    )
    listen: str = Field(
        "127.0.0.1:8470",
        description="host:port of the status page and metrics ([::1]:8470 for IPv6; port 0: any "
        "free port).",
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: JSON lines under systemd or when not on a terminal."
    )
    concurrency: int = Field(16, ge=1, le=512, description="Sites mirrored at the same time.")
    per_host_limit: int = Field(4, ge=1, le=64, description="Concurrent requests to one host.")
    politeness_delay: Delay = Field(
        timedelta(0), description="Pause between two requests to one host, e.g. '1s'."
    )
    user_agent: str = Field("syncd/0.1 (+mirror)", description="User-Agent sent to every site.")
    read_timeout: Timeout = Field(
        timedelta(seconds=30),
        description="Longest wait for a response's headers and for each 64 KiB of its body: "
        "a body that drips slower fails after this long.",
    )
    fetch_deadline: Timeout = Field(
        timedelta(seconds=120),
        description="Longest time one URL may take, every retry and redirect included.",
    )

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        split_listen(value)
        return value

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        return value if value is None else check_store_url(value)


class Unit(_Strict):
    key: Key = Field(description="Stable identifier, e.g. 'kon-ray'.")
    name: str = Field(description="Display name, e.g. 'Huyện Kon Rẫy'.")
    level: str = Field(description="Free text level: province, district, commune, ward, ...")
    parent: Key | None = Field(None, description="Key of the parent unit; unset for a root.")
    dissolved: bool = Field(False, description="The unit no longer exists; its sites are archived.")
    successor: Key | None = Field(None, description="Unit that took over a dissolved unit.")

    @model_validator(mode="after")
    def _successor_only_if_dissolved(self) -> Unit:
        if self.successor is not None and not self.dissolved:
            raise ValueError("successor is set but dissolved is false")
        return self


class Credentials(_Strict):
    username: str = Field(description="Account name on the remote site.")
    password: SecretRef = Field(description="Password: {env=...}, {file=...} or {credential=...}.")


class SiteOptions(_Strict):
    content_selector: str | None = Field(
        None, description="CSS selector of the article body; unset: DNN's usual containers."
    )
    feeds: list[str] = Field(
        default_factory=list, description="Feed URLs (absolute or relative to base_url)."
    )
    sitemap: str | None = Field("/Sitemap.aspx", description="Sitemap path; empty to skip.")
    blog_modules: list[str] = Field(
        default_factory=list, description="DNN Blog modules as 'tabid:moduleid'."
    )
    announcement_modules: list[str] = Field(
        default_factory=list, description="DNN Announcements modules as 'tabid:moduleid'."
    )
    delete_after_missing: int = Field(
        3, ge=1, le=100, description="Complete listings an item must be missing from to be deleted."
    )
    mass_disappearance: float = Field(
        0.2, gt=0, le=1, description="Share of items vanishing at once that marks a site degraded."
    )
    max_sitemap_parts: int = Field(
        200, ge=1, description="Parts a sitemap index may name; more is a listing error."
    )
    max_listed_urls: int = Field(
        100_000,
        ge=1,
        description="URLs one listing may hold, sitemaps and feeds together; more is a listing "
        "error.",
    )
    max_sitemap_mib: int = Field(
        256, ge=1, description="MiB a sitemap index and all its parts may add up to (inflated)."
    )

    @field_validator("content_selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            # imported here: lxml is not needed by commands that never mirror
            from connectors.errors import OptionsError
            from connectors.selectors import compile_selector

            try:
                compile_selector(value)
            except OptionsError as exc:
                raise ValueError(str(exc).partition(": ")[2]) from None
        return value

    @field_validator("feeds")
    @classmethod
    def _feeds(cls, value: list[str]) -> list[str]:
        for feed in value:
            check_url_or_path(feed)
        return value

    @field_validator("sitemap")
    @classmethod
    def _sitemap(cls, value: str | None) -> str | None:
        return check_url_or_path(value) if value else value

    @field_validator("blog_modules", "announcement_modules")
    @classmethod
    def _module_refs(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not re.fullmatch(r"\d+:\d+", ref):
                raise ValueError(f"expected 'tabid:moduleid', got {ref!r}")
        return value


class Publish(_Strict):
    """How syndicated copies are written to a site (unset: the site receives no pushes)."""

    kind: Literal["metaweblog", "wordpress"] = Field(
        description="metaweblog: the DNN Blog module's BlogPost.ashx (or any MetaWeblog API); "
        "wordpress: the WordPress REST API with an application password."
    )
    endpoint: str = Field(
        description="metaweblog: the BlogPost.ashx URL with portalid, tabid and moduleid; "
        "wordpress: the REST root ('/wp-json/'). Absolute, or relative to base_url."
    )
    username: str = Field(description="Account the copies are written as.")
    password: SecretRef = Field(
        description="Its password (WordPress: an application password): {env=...}, "
        "{file=...} or {credential=...}."
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh",
        description="metaweblog: the account's time zone, in which the API reads dates.",
    )
    blog_id: str = Field("1", description="metaweblog: the blog id passed with each call.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class Site(_Strict):
    key: Key = Field(description="Stable identifier of the site.")
    unit: Key = Field(description="Key of the unit that owns the site.")
    kind: Literal["dnn", "feed"] = Field(description="Connector: dnn or feed.")
    base_url: str = Field(description="Site root, e.g. 'https://konray.kontum.gov.vn'.")
    schedule: PollInterval = Field(
        timedelta(minutes=15), description="How often to poll, as a duration ('15m'; at least 10s)."
    )
    enabled: bool = Field(
        True,
        description="false: the site is kept in the store but not mirrored, and its secrets "
        "need not be available.",
    )
    local: bool = Field(
        False,
        description="The site's own host and port may be on a private network (intranet or test "
        "sites); other hosts its content names must still be public.",
    )
    trusted_hosts: list[str] = Field(
        default_factory=list,
        description="More hosts ('host' or 'host:port') this site may reach on private networks.",
    )
    allow_insecure_login: bool = Field(
        False, description="Send credentials over plain http (refused unless set)."
    )
    credentials: Credentials | None = Field(None, description="Login for APIs that need one.")
    options: SiteOptions = Field(default_factory=SiteOptions, description="Per-site options.")
    publish: Publish | None = Field(None, description="Where pushed copies are written.")

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value).rstrip("/")

    @field_validator("trusted_hosts")
    @classmethod
    def _trusted_hosts(cls, value: list[str]) -> list[str]:
        from connectors.http.guard import parse_trusted_host

        for entry in value:
            parse_trusted_host(entry)
        return value

    @model_validator(mode="after")
    def _feeds_for_feed_sites(self) -> Site:
        if self.kind == "feed" and not self.options.feeds:
            raise ValueError("options.feeds: a feed site needs at least one feed URL")
        return self


class RouteTarget(_Strict):
    sites: list[Key] = Field(default_factory=list, description="Sites named one by one.")
    relation: Literal["children", "parent", "descendants", "ancestors", "all"] | None = Field(
        None, description="Sites of units related to the source unit."
    )
    level: str | None = Field(None, description="Only units of this level (with relation).")


class Route(_Strict):
    key: Key = Field(description="Stable identifier of the route.")
    from_sites: list[Key] = Field(description="Sites whose items the route moves.")
    categories: list[str] = Field(default_factory=list, description="Only these categories.")
    keywords: list[str] = Field(default_factory=list, description="Only items naming one of these.")
    authors: list[str] = Field(default_factory=list, description="Only items by these authors.")
    max_age: MaxAge | None = Field(
        None, description="Only items published within this duration ('30d'); unset: any age."
    )
    to: RouteTarget = Field(description="Where items go.")
    method: Literal["push", "feed"] = Field("push", description="Write through the API or a feed.")
    publish_as: Literal["draft", "published"] = Field("draft", description="State of the copy.")
    category_map: dict[str, str] = Field(
        default_factory=dict,
        description="Source category -> target category, for every target. With a map, an "
        "unmapped source category sends the copy to review; without one, copies carry no "
        "categories. A category is never invented on a target.",
    )
    category_maps: dict[Key, dict[str, str]] = Field(
        default_factory=dict,
        description="Per target site: source category -> target category (overrides "
        "category_map for that site).",
    )
    attribution: str = Field(
        "Nguồn: {source_name}", description="Text added to each copy naming its origin."
    )
    approval: bool = Field(False, description="Copies wait for an editor's approval.")
    delay: Delay = Field(
        timedelta(0), description="Hold each copy this long after the origin is first seen."
    )
    on_origin_removed: Literal["unpublish", "delete", "leave"] = Field(
        "unpublish", description="What copies do when their origin is unpublished or deleted."
    )


class Retention(_Strict):
    keep_last: int = Field(7, ge=0, description="Most recent snapshots always kept.")
    daily: int = Field(14, ge=0, description="Days with one snapshot kept.")
    weekly: int = Field(8, ge=0, description="Weeks with one snapshot kept.")
    monthly: int = Field(12, ge=0, description="Months with one snapshot kept.")
    yearly: int = Field(5, ge=0, description="Years with one snapshot kept.")
    within: KeepWithin | None = Field(
        None, description="Keep everything newer than this duration (at least 1h)."
    )


class BackupTarget(_Strict):
    key: Key = Field(description="Stable identifier of the target.")
    kind: Literal["s3", "local"] = Field(description="s3 bucket or local folder.")
    path: Path | None = Field(None, description="Folder (kind = local).")
    endpoint: str | None = Field(None, description="S3 endpoint URL (kind = s3).")
    region: str = Field("us-east-1", description="S3 region.")
    bucket: str | None = Field(None, description="S3 bucket (kind = s3).")
    prefix: str = Field("", description="Key prefix inside the bucket.")
    path_style: bool = Field(True, description="Path-style addressing (most self-hosted S3).")
    access_key: SecretRef | None = Field(None, description="S3 access key id.")
    secret_key: SecretRef | None = Field(None, description="S3 secret access key.")
    passphrase: SecretRef | None = Field(None, description="Passphrase that wraps the key.")
    schedule: str = Field("0 2 * * *", description="Cron expression of scheduled backups.")
    object_lock_days: int = Field(0, ge=0, description="Compliance-mode lock on new objects.")
    retention: Retention = Field(default_factory=Retention, description="What pruning keeps.")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return value if value is None else check_http_url(value)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from syncd.scheduling import cron_trigger

        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(f"expected a cron expression such as '0 2 * * *': {exc}") from exc
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> BackupTarget:
        if self.kind == "local" and self.path is None:
            raise ValueError("a local target needs path")
        if self.kind == "s3" and (self.endpoint is None or self.bucket is None):
            raise ValueError("an s3 target needs endpoint and bucket")
        return self


class AlertingSettings(_Strict):
    notify: list[SecretRef] = Field(
        default_factory=list,
        description="Apprise URLs to send alerts to (mailto://, tgram://, json://, ...), each "
        "named as a secret since such URLs carry tokens. Empty: alerts reach the event log and "
        "the status page only.",
    )
    check_every: CheckInterval = Field(
        MINUTE, description="How often the alert rules are evaluated (at least 10s)."
    )
    failing_after: int = Field(
        3, ge=1, le=1000, description="Failed passes in a row before a site alerts."
    )
    stale_after: AlertAge = Field(
        6 * HOUR, description="A site not mirrored for this long alerts (at least 5m)."
    )
    silent_after: AlertAge = Field(
        timedelta(days=14),
        description="A site that published nothing this long alerts (at least 5m).",
    )
    backup_max_age: AlertAge = Field(
        36 * HOUR,
        description="A target whose last completed backup is older than this alerts (at least 5m).",
    )
    repeat_every: RepeatInterval = Field(
        24 * HOUR,
        description="Repeat an alert that lasts this long (at least 1m); '0s' tells once only.",
    )


class SyndicationSettings(_Strict):
    max_attempts: int = Field(
        12, ge=1, le=1000, description="Attempts before a delivery is parked as dead."
    )
    retry_base: Timeout = Field(
        timedelta(seconds=30),
        description="Wait before the first retry (at least 1s); doubles with each attempt.",
    )
    retry_max: Timeout = Field(HOUR, description="Longest wait between two attempts.")
    lease: Timeout = Field(
        3 * MINUTE,
        description="How long a daemon holds the deliveries it took; a daemon killed mid-round "
        "frees them after this.",
    )
    per_target: int = Field(4, ge=1, le=64, description="Deliveries in flight to one site.")


class Config(_Strict):
    daemon: DaemonSettings = Field(default_factory=DaemonSettings, description="The daemon.")
    units: list[Unit] = Field(default_factory=list, description="The tree of units.")
    sites: list[Site] = Field(default_factory=list, description="Sites to mirror.")
    routes: list[Route] = Field(default_factory=list, description="Syndication rules.")
    syndication: SyndicationSettings = Field(
        default_factory=SyndicationSettings, description="Delivering copies."
    )
    backup_targets: list[BackupTarget] = Field(
        default_factory=list, description="Where backups go."
    )
    alerting: AlertingSettings = Field(
        default_factory=AlertingSettings, description="Alerts to operators."
    )

    def unit(self, key: str) -> Unit:
        return next(u for u in self.units if u.key == key)

    def site(self, key: str) -> Site:
        return next(s for s in self.sites if s.key == key)
