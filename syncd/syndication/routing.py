"""Which site gets a copy of which item, by which route, when, and how (pure: no I/O, no clock).

A route names source sites, filters (categories, keywords, authors, maximum age), targets
(sites named one by one, or a relation to the source's unit: children, parent, descendants,
ancestors, every unit of a level) and how a copy is made. `plan` applies every route to one
item and gives at most one decision per target site, so an item that two routes send to the
same site is delivered there once.

Loops: every copy carries the path it travelled (its origin site first). A route never sends
an item to a site on that path, so routes forming a cycle (A -> B -> C -> A) deliver an item
to each site at most once, whatever the order in which copies are mirrored.

Categories: a target only ever receives categories the route maps for it. When the route has a
map for the target and a source category has no entry, the decision is "review": the copy
waits for a person, and no category is invented on the target. A route with no map at all
sends copies without categories.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

Relation = Literal["children", "parent", "descendants", "ancestors", "all"]
Action = Literal["deliver", "review", "skip"]


@dataclass(frozen=True)
class UnitNode:
    key: str
    level: str
    parent: str | None = None
    dissolved: bool = False


@dataclass(frozen=True)
class Network:
    """The unit tree and which unit each site belongs to."""

    units: Mapping[str, UnitNode]
    site_unit: Mapping[str, str]  # site key -> unit key

    def children(self, unit: str) -> list[str]:
        return sorted(u.key for u in self.units.values() if u.parent == unit)

    def descendants(self, unit: str) -> list[str]:
        found: list[str] = []
        todo = self.children(unit)
        while todo:
            key = todo.pop(0)
            if key not in found:
                found.append(key)
                todo.extend(self.children(key))
        return found

    def ancestors(self, unit: str) -> list[str]:
        found: list[str] = []
        node = self.units[unit].parent if unit in self.units else None
        while node is not None and node not in found and node in self.units:
            found.append(node)
            node = self.units[node].parent
        return found

    def related_units(self, unit: str, relation: Relation) -> list[str]:
        if relation == "children":
            return self.children(unit)
        if relation == "parent":
            return self.ancestors(unit)[:1]
        if relation == "descendants":
            return self.descendants(unit)
        if relation == "ancestors":
            return self.ancestors(unit)
        return sorted(k for k in self.units if k != unit)

    def sites_of(self, units: Iterable[str]) -> list[str]:
        wanted = set(units)
        return sorted(
            site
            for site, unit in self.site_unit.items()
            if unit in wanted and not self.units[unit].dissolved
        )


@dataclass(frozen=True)
class RouteRule:
    """One route, as the decisions need it (built from the configuration's Route)."""

    key: str
    from_sites: tuple[str, ...]
    to_sites: tuple[str, ...] = ()
    relation: Relation | None = None
    level: str | None = None
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    max_age: timedelta | None = None
    method: Literal["push", "feed"] = "push"
    publish_as: Literal["draft", "published"] = "draft"
    # target site key -> (source category -> target category); "*" is every target's default
    category_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    delay: timedelta = timedelta(0)
    approval: bool = False
    on_origin_removed: Literal["unpublish", "delete", "leave"] = "unpublish"


@dataclass(frozen=True)
class Candidate:
    """An item as routing sees it: where it comes from and what it is about."""

    site: str  # the site it was mirrored from
    origin: str  # the origin's stable id (e.g. "site:source_key"); equal for all its copies
    path: tuple[str, ...]  # sites it travelled, origin site first, `site` last
    title: str
    text: str  # plain text of the body, for keyword filters
    categories: tuple[str, ...] = ()
    author: str | None = None
    published: datetime | None = None
    first_seen: datetime | None = None
    kind: str = "article"


@dataclass(frozen=True)
class Decision:
    route: str
    target: str
    action: Action
    reason: str = ""
    categories: tuple[str, ...] = ()
    method: Literal["push", "feed"] = "push"
    publish_as: Literal["draft", "published"] = "draft"
    needs_approval: bool = False
    not_before: datetime | None = None
    path: tuple[str, ...] = ()  # the path the copy will carry (the candidate's plus the target)


def _fold(text: str) -> str:
    # Vietnamese keywords match whatever the normal form or case of the text
    return unicodedata.normalize("NFC", text).casefold()


def targets_of(rule: RouteRule, network: Network, source_site: str) -> list[str]:
    """Every site the route names for an item of `source_site`, in a stable order."""
    found = list(rule.to_sites)
    unit = network.site_unit.get(source_site)
    if rule.relation is not None and unit is not None:
        units = network.related_units(unit, rule.relation)
        if rule.level is not None:
            units = [u for u in units if network.units[u].level == rule.level]
        found.extend(network.sites_of(units))
    unique: list[str] = []
    for site in found:
        if site not in unique and site != source_site:
            unique.append(site)
    return unique


def _filter_reason(rule: RouteRule, item: Candidate, now: datetime) -> str | None:
    """Why the route does not take the item at all, or None when it does."""
    if item.site not in rule.from_sites:
        return "not from a source site of the route"
    if item.kind != "article":
        return f"a {item.kind}, not an article"
    if rule.categories:
        wanted = {_fold(c) for c in rule.categories}
        if not any(_fold(c) in wanted for c in item.categories):
            return "no matching category"
    if rule.keywords:
        haystack = _fold(f"{item.title}\n{item.text}")
        if not any(_fold(k) in haystack for k in rule.keywords):
            return "no matching keyword"
    authors = {_fold(a) for a in rule.authors}
    if authors and (item.author is None or _fold(item.author) not in authors):
        return "not by a listed author"
    published, max_age = item.published, rule.max_age
    if published is not None and max_age is not None and now - published > max_age:
        return "older than max_age"
    return None


def map_categories(
    rule: RouteRule, target: str, categories: Sequence[str]
) -> tuple[tuple[str, ...], list[str]]:
    """(the target's categories, the source categories with no mapping)."""
    mapping = rule.category_maps.get(target, rule.category_maps.get("*"))
    if mapping is None:
        return (), []
    mapped: list[str] = []
    unmapped: list[str] = []
    for category in categories:
        found = mapping.get(category)
        if found is None:
            unmapped.append(category)
        elif found not in mapped:
            mapped.append(found)
    return tuple(mapped), unmapped


def decide(rule: RouteRule, network: Network, item: Candidate, now: datetime) -> list[Decision]:
    """What one route does with one item: a decision per target it names."""
    reason = _filter_reason(rule, item, now)
    if reason is not None:
        return []
    decisions: list[Decision] = []
    start = item.first_seen or item.published or now
    not_before = start + rule.delay if rule.delay else None
    for target in targets_of(rule, network, item.site):
        base = Decision(
            route=rule.key,
            target=target,
            action="deliver",
            method=rule.method,
            publish_as=rule.publish_as,
            needs_approval=rule.approval,
            not_before=not_before,
            path=(*item.path, target),
        )
        if target in item.path:
            decisions.append(replace(base, action="skip", reason=f"{target} is on the path"))
            continue
        categories, unmapped = map_categories(rule, target, item.categories)
        if unmapped:
            missing = ", ".join(repr(c) for c in unmapped)
            decisions.append(
                replace(
                    base,
                    action="review",
                    reason=f"no category mapping for {missing}",
                    categories=categories,
                    needs_approval=True,
                )
            )
            continue
        decisions.append(replace(base, categories=categories))
    return decisions


def plan(
    rules: Sequence[RouteRule], network: Network, item: Candidate, now: datetime
) -> list[Decision]:
    """Every route applied to one item: at most one decision per target site.

    When several routes reach the same target, a delivery beats a review and a review beats a
    skip; among equals the route whose key sorts first wins, so the plan never depends on the
    order of the configuration file.
    """
    rank = {"deliver": 0, "review": 1, "skip": 2}
    best: dict[str, Decision] = {}
    for rule in sorted(rules, key=lambda r: r.key):
        for decision in decide(rule, network, item, now):
            held = best.get(decision.target)
            if held is None or rank[decision.action] < rank[held.action]:
                best[decision.target] = decision
    return [best[target] for target in sorted(best)]
