"""Checks that span several entries: unique keys, references, and the shape of the unit tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from syncd.config.model import Config
from syncd.errors import ConfigError


def _unique(section: str, keys: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            raise ConfigError(
                f"{section}[{index}].key",
                f"duplicate key {key!r} (already used by {section}[{seen[key]}])",
            )
        seen[key] = index


def _refs(path: str, names: Iterable[str], known: set[str], what: str) -> None:
    for name in names:
        if name not in known:
            raise ConfigError(path, f"no {what} with key {name!r}")


def check_references(config: Config) -> None:
    _unique("units", [u.key for u in config.units])
    _unique("sites", [s.key for s in config.sites])
    _unique("routes", [r.key for r in config.routes])
    _unique("backup_targets", [t.key for t in config.backup_targets])
    units = {u.key for u in config.units}
    sites = {s.key for s in config.sites}
    for i, unit in enumerate(config.units):
        if unit.parent is not None:
            _refs(f"units[{i}].parent", [unit.parent], units, "unit")
        if unit.successor is not None:
            _refs(f"units[{i}].successor", [unit.successor], units, "unit")
    for i, site in enumerate(config.sites):
        _refs(f"sites[{i}].unit", [site.unit], units, "unit")
    for i, route in enumerate(config.routes):
        _refs(f"routes[{i}].from_sites", route.from_sites, sites, "site")
        _refs(f"routes[{i}].to.sites", route.to.sites, sites, "site")
        if not route.to.sites and route.to.relation is None:
            raise ConfigError(f"routes[{i}].to", "name sites or a relation")
        _refs(f"routes[{i}].category_maps", route.category_maps, sites, "site")
    targets = {t.key: t for t in config.backup_targets}
    blob_target = config.daemon.blob_target
    if blob_target is not None and (
        blob_target not in targets or targets[blob_target].kind != "s3"
    ):
        raise ConfigError(
            "daemon.blob_target", f"no backup target of kind s3 with key {blob_target!r}"
        )
    _check_tree(config)


def _check_tree(config: Config) -> None:
    _check_chains(config, "parent", {u.key: u.parent for u in config.units}, "the unit tree")
    _check_chains(
        config, "successor", {u.key: u.successor for u in config.units}, "the chain of successors"
    )


def _check_chains(config: Config, field: str, link: dict[str, str | None], what: str) -> None:
    """Following `field` from any unit must end, never come back to a unit on the way."""
    index = {u.key: i for i, u in enumerate(config.units)}
    for start in link:
        path = [start]
        node = link[start]
        while node is not None:
            if node in path:
                cycle = " -> ".join([*path[path.index(node) :], node])
                raise ConfigError(f"units[{index[start]}].{field}", f"{what} has a cycle: {cycle}")
            path.append(node)
            node = link.get(node)
