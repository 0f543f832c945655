"""Domain exceptions. The CLI turns each into a one-line message and an exit code."""

from __future__ import annotations


class SyncdError(Exception):
    """Base of every error a user can cause or must be told about."""

    exit_code = 1


class ConfigError(SyncdError):
    """The configuration is invalid; the message names the key path."""

    exit_code = 2

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class StoreError(SyncdError):
    """The store cannot be opened, migrated or read."""


class NotFound(SyncdError):
    """A named item, revision, site or snapshot does not exist."""

    exit_code = 3


class BlobMissing(StoreError):
    """A blob the store refers to is absent."""


class BlobCorrupt(StoreError):
    """A blob's bytes no longer hash to its name."""
