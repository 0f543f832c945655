from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backups.errors import InvalidRetentionPolicy
from backups.retention import RetentionPolicy, decide

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)

times = st.lists(
    st.integers(min_value=0, max_value=3 * 365 * 24 * 60).map(lambda m: NOW - timedelta(minutes=m)),
    max_size=60,
)
policies = st.builds(
    RetentionPolicy,
    last=st.integers(0, 5),
    hourly=st.integers(0, 5),
    daily=st.integers(0, 10),
    weekly=st.integers(0, 6),
    monthly=st.integers(0, 12),
    yearly=st.integers(0, 3),
    within=st.one_of(st.none(), st.integers(1, 90).map(lambda d: timedelta(days=d))),
).filter(lambda p: any([p.last, p.hourly, p.daily, p.weekly, p.monthly, p.yearly, p.within]))


def _snaps(ts: list[datetime]) -> list[tuple[str, datetime]]:
    return [(f"s{i}", t) for i, t in enumerate(ts)]


@settings(max_examples=200, deadline=None)
@given(times, policies)
def test_invariants(ts: list[datetime], policy: RetentionPolicy) -> None:
    snaps = _snaps(ts)
    keep = decide(snaps, policy, NOW)
    assert set(keep) <= {sid for sid, _ in snaps}
    assert all(keep.values())  # every kept snapshot says why
    # the input order does not matter
    assert decide(list(reversed(snaps)), policy, NOW) == keep
    newest_first = sorted(snaps, key=lambda s: (s[1], s[0]), reverse=True)
    # keep-last keeps exactly the newest N
    assert {s for s, r in keep.items() if "last" in r} == {
        s for s, _ in newest_first[: policy.last]
    }
    # a daily rule keeps one snapshot per day, in as many distinct days as it can
    daily_days = [t.date() for s, t in snaps if "daily" in keep.get(s, [])]
    assert len(daily_days) == len(set(daily_days)) == min(policy.daily, len({t.date() for t in ts}))
    # if any count rule is active, the newest snapshot survives
    if snaps and any(
        [policy.last, policy.hourly, policy.daily, policy.weekly, policy.monthly, policy.yearly]
    ):
        assert newest_first[0][0] in keep
    if policy.within:
        assert all(sid in keep for sid, t in snaps if t >= NOW - policy.within)


@settings(max_examples=100, deadline=None)
@given(times, policies, st.sampled_from(["last", "daily", "weekly", "monthly", "yearly"]))
def test_raising_a_count_never_drops_a_snapshot(
    ts: list[datetime], policy: RetentionPolicy, field: str
) -> None:
    snaps = _snaps(ts)
    more = RetentionPolicy(**{**policy.__dict__, field: getattr(policy, field) + 1})
    assert set(decide(snaps, policy, NOW)) <= set(decide(snaps, more, NOW))


def test_example_with_reasons() -> None:
    snaps = [
        ("a", NOW),
        ("b", NOW - timedelta(hours=1)),
        ("c", NOW - timedelta(days=1)),
        ("d", NOW - timedelta(days=40)),
    ]
    keep = decide(snaps, RetentionPolicy(last=1, daily=2, monthly=2), NOW)
    assert keep == {"a": ["last", "daily", "monthly"], "c": ["daily"], "d": ["monthly"]}


def test_empty_or_negative_policy_is_refused() -> None:
    with pytest.raises(InvalidRetentionPolicy, match="keeps nothing"):
        decide([("a", NOW)], RetentionPolicy(), NOW)
    with pytest.raises(InvalidRetentionPolicy, match="negative"):
        decide([("a", NOW)], RetentionPolicy(daily=-1), NOW)
