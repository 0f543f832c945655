"""Running mirror passes for configured sites: builds connectors, records outcomes and events."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from connectors import base as connector_registry
from connectors.http import HttpClient, HttpPolicy
from connectors.options import ListingLimits, ModuleRef
from connectors.options import SiteOptions as ConnectorOptions
from syncd.config.model import Config, Site
from syncd.errors import ConfigError
from syncd.mirror.pipeline import PassResult, Progress, SitePass, SitePolicy
from syncd.mirror.polling import next_interval
from syncd.mirror.validators import StagedValidatorStore
from syncd.store.mirrorstate import MirrorState
from syncd.store.network import sync_units
from syncd.store.store import Store, utcnow
from syncd.syndication.rules import outbox_of

log = structlog.get_logger("syncd.mirror")


def http_policy(config: Config) -> HttpPolicy:
    daemon = config.daemon
    return HttpPolicy(
        per_host=daemon.per_host_limit,
        politeness_delay=daemon.politeness_delay.total_seconds(),
        user_agent=daemon.user_agent,
        read_timeout=daemon.read_timeout.total_seconds(),
        total_timeout=daemon.fetch_deadline.total_seconds(),
    )


def _modules(site_index: int, field: str, refs: list[str]) -> tuple[ModuleRef, ...]:
    out = []
    for i, ref in enumerate(refs):
        tab, _, module = ref.partition(":")
        if not (tab.isdigit() and module.isdigit()):
            raise ConfigError(
                f"sites[{site_index}].options.{field}[{i}]", "expected 'tabid:moduleid'"
            )
        out.append(ModuleRef(int(tab), int(module)))
    return tuple(out)


def connector_options(config: Config, site: Site) -> ConnectorOptions:
    index = config.sites.index(site)
    opts = site.options
    username = password = None
    if site.credentials is not None:
        username = site.credentials.username
        password = site.credentials.password.reveal(f"sites[{index}].credentials.password")
    return ConnectorOptions(
        base_url=site.base_url,
        name=config.unit(site.unit).name,
        feeds=tuple(opts.feeds),
        sitemap=opts.sitemap or None,
        blog_modules=_modules(index, "blog_modules", opts.blog_modules),
        announcement_modules=_modules(index, "announcement_modules", opts.announcement_modules),
        content_selector=opts.content_selector,
        username=username,
        password=password,
        local=site.local,
        trusted_hosts=tuple(site.trusted_hosts),
        allow_insecure_login=site.allow_insecure_login,
        limits=ListingLimits(
            max_sitemap_parts=opts.max_sitemap_parts,
            max_urls=opts.max_listed_urls,
            max_sitemap_bytes=opts.max_sitemap_mib * 1024 * 1024,
        ),
    )


class Mirror:
    """Mirrors the configured sites into the store through one shared HTTP client."""

    def __init__(self, config: Config, store: Store, http: HttpClient) -> None:
        self.config, self.store, self.http = config, store, http
        self.state = MirrorState(store.engine)
        # with no routes there is nothing to plan: passes write no outbox rows at all
        self.outbox = outbox_of(config) if config.routes else None

    async def register_sites(self) -> None:
        await sync_units(self.store.engine, self.config.units)
        for site in self.config.sites:
            await self.store.ensure_site(site.key, site.unit, site.kind, site.base_url)

    async def run_site(self, key: str, progress: Progress | None = None) -> PassResult:
        site = self.config.site(key)
        site_id = await self.store.site_id(key)
        try:
            options = connector_options(self.config, site)
        except ConfigError as exc:
            # a secret readable at start and gone now (a file removed, a credential no longer
            # passed): this site fails with the reason, as any failed pass, and alerts
            result = PassResult(key, listing_failed=str(exc))
            await self._record_outcome(site, site_id, result)
            return result
        validators = StagedValidatorStore(await self.state.load_fetch_state(site_id))
        connector = connector_registry.create(site.kind, options, self.http, validators)
        policy = SitePolicy(
            confirm_after=site.options.delete_after_missing,
            mass_share=site.options.mass_disappearance,
        )
        # every log line of this pass carries the site and a run id
        structlog.contextvars.bind_contextvars(site=key, run_id=uuid.uuid4().hex[:12])
        result = await SitePass(
            self.store, self.state, key, site_id, connector, validators, policy, progress,
            self.outbox,
        ).run()
        await self._record_outcome(site, site_id, result)
        return result

    async def _record_outcome(self, site: Site, site_id: int, result: PassResult) -> None:
        before = await self.state.site_status(site_id)
        failures = before.failures + 1 if result.listing_failed else 0
        fresh = result.new + result.changed + result.deleted
        idle = 0 if fresh else before.idle_passes + 1
        interval = next_interval(int(site.schedule.total_seconds()), idle, failures)
        now = utcnow()
        values: dict[str, object] = {
            "failures": failures, "idle_passes": idle, "interval_seconds": interval,
            "last_attempt_at": now, "next_due_at": now + timedelta(seconds=interval),
            "degraded": result.degraded is not None,
            "last_error": result.listing_failed or (result.errors[0] if result.errors else None),
        }  # fmt: skip
        if result.listing_failed is None:
            values["last_success_at"] = now
        await self.state.update_site(site_id, **values)
        summary = {
            "listed": result.listed, "new": result.new, "changed": result.changed,
            "unchanged": result.unchanged, "deleted": result.deleted, "failed": result.failed,
            "gone": result.gone, "bytes": result.bytes,
        }  # fmt: skip
        if result.degraded and not before.degraded:
            await self.store.log_event(
                "site.degraded", result.degraded, site_key=site.key, severity="error", data=summary
            )
        elif before.degraded and not result.degraded:
            await self.store.log_event(
                "site.recovered",
                "the site lists its content again",
                site_key=site.key,
                data=summary,
            )
        if result.listing_failed:
            await self.store.log_event(
                "mirror.failed", result.listing_failed, site_key=site.key, severity="error"
            )
        else:
            await self.store.log_event(
                "mirror.pass", f"{fresh} new or changed, {result.failed} failed",
                site_key=site.key, data=summary,
            )  # fmt: skip
        log.info("mirror pass", site=site.key, **summary, degraded=result.degraded)
