"""Pure decisions of the mirror: deletions and polling intervals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syncd.mirror.deletions import plan_deletions
from syncd.mirror.polling import MAX_BACKOFF_SECONDS, MAX_IDLE_FACTOR, next_interval

KEYS = [f"k{i}" for i in range(20)]


def test_missing_counts_grow_until_confirmed() -> None:
    live = {k: 0 for k in KEYS}
    listed = set(KEYS) - {"k0"}
    first = plan_deletions(live, listed, complete=True, confirm_after=2, mass_share=0.2)
    assert first.missing == {"k0": 1} and not first.tombstone
    second = plan_deletions(
        {**live, "k0": 1}, listed, complete=True, confirm_after=2, mass_share=0.2
    )
    assert second.tombstone == {"k0"}


def test_partial_listing_deletes_nothing() -> None:
    plan = plan_deletions({"a": 5}, {"b"}, complete=False, confirm_after=1, mass_share=0.2)
    assert not plan.tombstone and not plan.missing and plan.degraded is None


def test_mass_disappearance_and_empty_listing_are_degraded() -> None:
    live = {k: 0 for k in KEYS}
    mass = plan_deletions(live, set(KEYS[:10]), complete=True, confirm_after=1, mass_share=0.2)
    assert mass.degraded and not mass.tombstone and not mass.missing
    empty = plan_deletions(live, set(), complete=False, confirm_after=1, mass_share=0.2)
    assert empty.degraded and "empty" in empty.degraded


@given(
    live=st.dictionaries(st.sampled_from(KEYS), st.integers(0, 5), max_size=20),
    listed=st.sets(st.sampled_from(KEYS)),
    complete=st.booleans(),
    confirm=st.integers(1, 5),
    share=st.floats(0.01, 1.0),
)
def test_plan_invariants(
    live: dict[str, int], listed: set[str], complete: bool, confirm: int, share: float
) -> None:
    plan = plan_deletions(live, listed, complete=complete, confirm_after=confirm, mass_share=share)
    # never deletes a listed item, or anything unknown, or anything while degraded
    assert not (plan.tombstone & listed)
    assert plan.tombstone <= set(live)
    if plan.degraded:
        assert not plan.tombstone and not plan.missing
    if live and len(plan.tombstone) / len(live) > share:
        raise AssertionError("deleted more than the mass-disappearance share")
    for key in plan.tombstone:
        assert live[key] + 1 >= confirm


def test_polling_adapts_and_never_stops() -> None:
    assert next_interval(600, 0, 0) == 600
    assert next_interval(600, 4, 0) > 600
    assert next_interval(600, 10_000, 0) == 600 * MAX_IDLE_FACTOR
    backoffs = [next_interval(600, 0, f) for f in range(1, 30)]
    assert backoffs == sorted(backoffs)
    assert max(backoffs) == MAX_BACKOFF_SECONDS
