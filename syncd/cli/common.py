"""What every command shares: finding the config, running a coroutine, opening the store."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from syncd.config import Config, load_config
from syncd.errors import ConfigError

T = TypeVar("T")

DEFAULT_PATHS = (Path("syncd.toml"), Path("/etc/syncd/syncd.toml"))


def config_path(given: Path | None) -> Path:
    if given is not None:
        return given
    env = os.environ.get("SYNCD_CONFIG")
    if env:
        return Path(env)
    for candidate in DEFAULT_PATHS:
        if candidate.exists():
            return candidate
    return DEFAULT_PATHS[0]


def read_config(given: Path | None) -> Config:
    return load_config(config_path(given))


def check_can_create(path: Path, option: str, *, inside: bool = False) -> None:
    """Refuse, before any work, an output path that cannot be made: the nearest folder above
    it (with `inside`, from the path itself) that exists must be one this process may write in."""
    folder = path.absolute() if inside else path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(option, f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(option, f"cannot write in {folder}")


def human_size(count: int) -> str:
    """A byte count for people: 512 B, 3.4 MB."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


config_option = click.option(
    "--config",
    "-c",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Configuration file (default: $SYNCD_CONFIG, ./syncd.toml, /etc/syncd/syncd.toml).",
)


async def with_store(config: Config, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run `action` on the existing store (exit 3 when there is none: never creates one)."""
    from syncd.store.open import open_existing_store

    store = await open_existing_store(config)
    try:
        return await action(store)
    finally:
        await store.close()
