"""A backup repository belongs to one store: snapshots record the store's id, and a backup
from another store into a repository that already holds snapshots is refused unless asked."""

from __future__ import annotations

from collections.abc import Sequence

from backups.repository import Snapshot
from syncd.backup.errors import OtherStore


def check_owner(snapshots: Sequence[Snapshot], store: str, *, allow_other: bool) -> None:
    """Refuse when snapshots name their store and none of them is `store` (pure). Snapshots
    written before stores had ids name none and count for nobody."""
    owners = {s.store for s in snapshots if s.store is not None}
    if owners and store not in owners and not allow_other:
        raise OtherStore(
            f"this repository holds snapshots of another store ({', '.join(sorted(owners))}), "
            f"not of this one ({store}); give --allow-other-store to back up into it anyway"
        )
