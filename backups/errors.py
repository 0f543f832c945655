"""Errors raised by the backups package (it never imports syncd)."""

from __future__ import annotations


class BackupError(Exception):
    """Base of every backup error."""


class ObjectMissing(BackupError):
    """A named object is not in the target."""


class PreconditionFailed(BackupError):
    """A conditional write lost: another writer got there first."""


class TargetError(BackupError):
    """The target failed (after retries) or refused the operation."""


class ObjectLocked(TargetError):
    """The object is under retention (Object Lock) and cannot be deleted or shortened."""


# --- Repository format errors (added by the repository-format engineer) --------------------


class WrongKey(BackupError):
    """The passphrase or recovery key does not open this repository."""


class BadRecoveryKey(BackupError):
    """A recovery key string is malformed (typo, wrong length, bad checksum)."""


class ObjectDamaged(BackupError):
    """A stored object failed authentication or does not match its id."""


class RepositoryCorrupt(BackupError):
    """Repository metadata (config, HEAD, index, manifest) is unreadable in every copy."""


class RepositoryExists(BackupError):
    """init was asked to create a repository where one already exists."""


class RebaseConflict(BackupError):
    """A retried commit depends on objects that a concurrent prune removed."""


class IncompleteRepository(BackupError):
    """Live snapshots reference objects the repository lacks: what is live is not known."""


class CredentialError(BackupError):
    """A secret could not be read from its configured source (env var, file, credential)."""


class NoRepository(BackupError):
    """The target holds no backup repository (no config object)."""


class InvalidRetentionPolicy(BackupError):
    """A retention policy that would keep nothing (or is otherwise unusable)."""
