"""Errors a user of backup and restore can cause, each a one-line message."""

from __future__ import annotations

from syncd.errors import NotFound, SyncdError


class BackupFailed(SyncdError):
    """The repository or its target refused or failed (wrong key, unreachable bucket, ...)."""


class OtherStore(SyncdError):
    """The repository holds snapshots of another store, and mixing them was not asked for."""


class NoSuchSnapshot(NotFound):
    """The named snapshot is not in the repository."""


class BadDate(SyncdError):
    """An --as-of value that is not a date."""

    exit_code = 2


class StoreNotEmpty(SyncdError):
    """A restore was pointed at a store that already holds data."""


class PruneRefused(SyncdError):
    """Pruning needs credentials that may delete, and these may not."""


class VerifyFailed(SyncdError):
    """verify found damage; the message says how much."""


class RestoreIncomplete(SyncdError):
    """The restore finished but some items or revisions could not be restored."""

    exit_code = 4
