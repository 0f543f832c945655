"""Which secrets a command needs, and which of them cannot be read in this environment.

A site's secrets are needed only while the site is enabled; the daemon also needs those of the
backup targets and the alert channels. A command refuses to start without them (exit 2) rather
than failing one pass or one backup after another later."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from syncd.config.model import Config, Site
from syncd.config.secrets import SecretRef
from syncd.errors import ConfigError


@dataclass(frozen=True)
class MissingSecret:
    path: str  # key path of the reference, e.g. sites[1].credentials.password
    problem: str
    site: Site | None  # the site it belongs to; None: the daemon's own (targets, channels)

    def error(self, more: int = 0) -> ConfigError:
        problem = self.problem
        if self.site is not None:
            problem += (
                f" (site {self.site.key!r} needs it: make it available, or set enabled = false "
                "on the site)"
            )
        if more:
            problem += f"; {more} more missing, listed by `syncd config check`"
        return ConfigError(self.path, problem)


def _refs(value: Any, path: str) -> Iterator[tuple[str, SecretRef]]:
    if isinstance(value, SecretRef):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _refs(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _refs(item, f"{path}[{i}]")


def missing_secrets(config: Config) -> list[MissingSecret]:
    """Every secret reference that cannot be read now, with the site it belongs to."""
    owners: list[tuple[str, Any, Site | None]] = [
        (f"sites[{i}]", site, site) for i, site in enumerate(config.sites)
    ]
    owners += [(n, getattr(config, n), None) for n in Config.model_fields if n != "sites"]
    missing = []
    for prefix, value, site in owners:
        for path, ref in _refs(value, prefix):
            problem = ref.problem()
            if problem is not None:
                missing.append(MissingSecret(path, problem, site))
    return missing


def require_secrets(config: Config, sites: Collection[str], *, daemon: bool) -> None:
    """Raise for the first unreadable secret that the enabled ones of `sites` need, and with
    `daemon`, the backup targets and alert channels too."""

    def needed(secret: MissingSecret) -> bool:
        if secret.site is None:
            return daemon
        return secret.site.enabled and secret.site.key in sites

    missing = [m for m in missing_secrets(config) if needed(m)]
    if missing:
        raise missing[0].error(more=len(missing) - 1)
