"""Mirroring: list a site, fetch what changed, store revisions, confirm deletions."""
