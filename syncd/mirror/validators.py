"""Conditional-GET validators kept in the store, committed only with the content they vouch for.

A connector calls `set` as soon as a 200 arrives, before syncd has stored the body. If the
validators were saved then, a crash before the revision commits would turn the next fetch into
a 304 for content the store never kept. So `set` only stages them in the current task's
context; the pipeline commits a task's staged validators after its revision is durable.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping

from connectors.http import Validators
from syncd.store.mirrorstate import FetchRecord

_staged: contextvars.ContextVar[dict[str, Validators] | None] = contextvars.ContextVar(
    "syncd_staged_validators", default=None
)


def begin_staging() -> dict[str, Validators]:
    """Start collecting validators set by connector calls in this task (and its children)."""
    staged: dict[str, Validators] = {}
    _staged.set(staged)
    return staged


class StagedValidatorStore:
    """The ValidatorStore the pipeline hands to connectors for one site's pass."""

    def __init__(self, known: Mapping[str, FetchRecord]) -> None:
        self.known = dict(known)

    async def get(self, url: str) -> Validators | None:
        record = self.known.get(url)
        # Without the content they vouch for, validators would turn a fetch into a 304 that
        # the store cannot answer: then fetch unconditionally.
        if record is None or record.sha is None:
            return None
        if record.etag is None and record.last_modified is None:
            return None
        return Validators(record.etag, record.last_modified)

    async def set(self, url: str, validators: Validators) -> None:
        staged = _staged.get()
        if staged is None:
            # Outside an item's task (listings): nothing depends on it, keep it in memory only.
            self.known[url] = FetchRecord(validators.etag, validators.last_modified, None)
            return
        staged[url] = validators

    def sha_for(self, url: str) -> str | None:
        record = self.known.get(url)
        return record.sha if record else None

    def committed(self, records: Mapping[str, FetchRecord]) -> None:
        self.known.update(records)
