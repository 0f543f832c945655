"""Syndication fixtures: the mirror tests' store and simulated sites."""

from tests.mirror.conftest import mirror_for

__all__ = ["mirror_for"]
