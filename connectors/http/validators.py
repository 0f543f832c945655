"""Where conditional-GET validators live between runs (the caller owns the storage)."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Validators(NamedTuple):
    etag: str | None
    last_modified: str | None


class ValidatorStore(Protocol):
    """Validators by URL. ``set`` is called when a 200 carries new validators; a store that
    must not lose content should stage them and persist them together with the content they
    belong to, or a crash in between turns the next fetch into a 304 for content never kept."""

    async def get(self, url: str) -> Validators | None: ...

    async def set(self, url: str, validators: Validators) -> None: ...


class MemoryValidatorStore:
    """A ValidatorStore in a dict: for tests and one-shot runs."""

    def __init__(self) -> None:
        self.data: dict[str, Validators] = {}

    async def get(self, url: str) -> Validators | None:
        return self.data.get(url)

    async def set(self, url: str, validators: Validators) -> None:
        self.data[url] = validators
