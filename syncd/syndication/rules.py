"""The configuration's routes and unit tree, as the routing decisions take them."""

from __future__ import annotations

from syncd.config.model import Config, Route
from syncd.syndication.outbox import Outbox
from syncd.syndication.routing import Network, RouteRule, UnitNode


def network_of(config: Config) -> Network:
    return Network(
        units={
            u.key: UnitNode(u.key, u.level, u.parent, u.dissolved) for u in config.units
        },
        site_unit={s.key: s.unit for s in config.sites},
    )


def rule_of(route: Route) -> RouteRule:
    maps: dict[str, dict[str, str]] = dict(route.category_maps)
    if route.category_map:
        maps["*"] = dict(route.category_map)
    return RouteRule(
        key=route.key,
        from_sites=tuple(route.from_sites),
        to_sites=tuple(route.to.sites),
        relation=route.to.relation,
        level=route.to.level,
        categories=tuple(route.categories),
        keywords=tuple(route.keywords),
        authors=tuple(route.authors),
        max_age=route.max_age,
        method=route.method,
        publish_as=route.publish_as,
        category_maps=maps,
        delay=route.delay,
        approval=route.approval,
        on_origin_removed=route.on_origin_removed,
    )


def rules_of(config: Config) -> list[RouteRule]:
    return [rule_of(r) for r in config.routes]


def outbox_of(config: Config) -> Outbox:
    return Outbox(
        rules=rules_of(config),
        network=network_of(config),
        attribution={r.key: r.attribution for r in config.routes},
    )
