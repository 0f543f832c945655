"""`syncd config check` and `syncd units`."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import tomli_w

from syncd.cli.common import config_option, config_path, read_config
from syncd.config import Config
from syncd.config.durations import format_duration
from syncd.config.secret_checks import missing_secrets
from syncd.config.secrets import SecretRef


def _masked(value: Any) -> Any:
    if isinstance(value, SecretRef):
        return f"<secret {value.describe()}>"
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    return value


def masked_config(config: Config) -> dict[str, Any]:
    """The effective configuration as plain data, every secret replaced by where it comes from."""
    masked: dict[str, Any] = _masked(_dump(config))
    return masked


def _dump(value: Any) -> Any:
    # model_dump would turn SecretRef into a dict; keep it so _masked can recognise it
    if isinstance(value, SecretRef):
        return value
    if hasattr(value, "model_fields"):
        return {name: _dump(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@config_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when the configuration is valid.")
@click.option(
    "--no-secrets",
    is_flag=True,
    help="Check the file alone, not whether its secrets can be read here (for a file checked "
    "away from the machine and the service that use it).",
)
def check(config_file: Path | None, quiet: bool, no_secrets: bool) -> None:
    """Validate the configuration and print it with secrets masked.

    Exit status 2 when it is invalid, or when a secret that the daemon needs cannot be read
    here (each is listed; those of disabled sites only warn)."""
    config = read_config(config_file)
    missing = [] if no_secrets else missing_secrets(config)
    errors = [m for m in missing if m.site is None or m.site.enabled]
    for secret in missing:
        if secret not in errors:
            click.echo(f"syncd: warning: {secret.path}: {secret.problem} (the site is disabled)",
                       err=True)  # fmt: skip
    for secret in errors:
        click.echo(f"syncd: {secret.error()}", err=True)
    if errors:
        sys.exit(2)
    if not quiet:
        click.echo(f"# {config_path(config_file)}: valid")
        click.echo(tomli_w.dumps(masked_config(config)), nl=False)


def render_tree(config: Config) -> list[str]:
    children: dict[str | None, list[str]] = {}
    for unit in config.units:
        children.setdefault(unit.parent, []).append(unit.key)
    sites: dict[str, list[str]] = {}
    for site in config.sites:
        sites.setdefault(site.unit, []).append(f"{site.key} ({site.kind}, {site.base_url})")
    lines: list[str] = []

    def visit(key: str, depth: int) -> None:
        unit = config.unit(key)
        note = ""
        if unit.dissolved:
            note = " [dissolved" + (f", succeeded by {unit.successor}]" if unit.successor else "]")
        lines.append(f"{'  ' * depth}{unit.name} <{unit.key}> {unit.level}{note}")
        for site in sites.get(key, []):
            lines.append(f"{'  ' * depth}  - site {site}")
        for child in children.get(key, []):
            visit(child, depth + 1)

    for root in children.get(None, []):
        visit(root, 0)
    return lines


@click.command("units")
@config_option
def units(config_file: Path | None) -> None:
    """Show the tree of units with each unit's sites."""
    config = read_config(config_file)
    lines = render_tree(config)
    click.echo("\n".join(lines) if lines else "no units configured")
