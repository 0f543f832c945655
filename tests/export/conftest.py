"""The mirror fixture, shared with tests/mirror, for the end-to-end export test."""

from tests.mirror.conftest import mirror_for

__all__ = ["mirror_for"]
