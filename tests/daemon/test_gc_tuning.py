"""The mirror process's collector settings: fewer young collections, start-up frozen once."""

from __future__ import annotations

import gc

from syncd.gc_tuning import tune_gc


def test_tune_gc_raises_the_threshold_and_freezes_only_once() -> None:
    saved = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (50_000, *saved[1:])
        frozen = gc.get_freeze_count()
        assert frozen > 0
        made_later = [[n] for n in range(2_000)]  # tracked objects a second freeze would take
        tune_gc()
        assert gc.get_freeze_count() == frozen
        assert len(made_later) == 2_000
    finally:
        gc.set_threshold(*saved)
