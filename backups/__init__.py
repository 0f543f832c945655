"""Off-site backups: repository format, storage targets, snapshots, verification, restore."""
