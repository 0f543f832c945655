"""Backing the store up into a `backups` repository and restoring it (syncd's adapter)."""
