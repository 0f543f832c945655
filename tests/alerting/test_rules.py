"""The alert rules and the tracker that decides when to tell: pure logic, no I/O."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.alerting.rules import Alert, AlertPolicy, TargetFacts, evaluate
from syncd.alerting.tracker import Tracker
from syncd.store.health import SiteHealth

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
POLICY = AlertPolicy()


def _site(**kw: object) -> SiteHealth:
    base: dict[str, object] = dict(
        key="xa", failures=0, degraded=False, last_success_at=NOW - HOUR,
        last_change_at=NOW - HOUR, last_error=None,
    )  # fmt: skip
    base.update(kw)
    return SiteHealth(**base)  # type: ignore[arg-type]


def _rules(sites: list[SiteHealth] = [], targets: list[TargetFacts] = []) -> dict[str, str]:  # noqa: B006
    found = evaluate(sites, targets, POLICY, NOW, NOW - 100 * HOUR)
    return {key: alert.summary for key, alert in found.items()}


def test_healthy_site_fires_nothing() -> None:
    assert _rules([_site()]) == {}


def test_failing_after_three_passes_with_the_reason() -> None:
    assert _rules([_site(failures=2, last_error="HTTP 500")]) == {}
    got = _rules([_site(failures=3, last_error="HTTP 500")])
    assert got == {"site_failing:xa": "xa: the last 3 passes could not list the site: HTTP 500"}


def test_degraded_stale_and_silent() -> None:
    got = _rules([_site(degraded=True, last_success_at=NOW - 7 * HOUR,
                        last_change_at=NOW - timedelta(days=15))])  # fmt: skip
    assert set(got) == {"site_degraded:xa", "site_stale:xa", "site_silent:xa"}
    assert got["site_stale:xa"] == "xa has not been mirrored for 7 h"
    assert got["site_silent:xa"] == "xa has published nothing for 15 days"


def test_a_failed_listing_is_failing_not_degraded() -> None:
    got = _rules([_site(failures=3, degraded=True, last_error="HTTP 500")])
    assert set(got) == {"site_failing:xa"}


def test_a_site_never_mirrored_is_not_stale_but_fails() -> None:
    assert _rules([_site(last_success_at=None, last_change_at=None)]) == {}


def test_backup_failed_until_a_later_success() -> None:
    failed = TargetFacts("nas", NOW - 30 * HOUR, NOW - 2 * HOUR, "disk full")
    assert _rules(targets=[failed]) == {
        "backup_failed:nas": "the last backup to nas failed: disk full"
    }
    recovered = TargetFacts("nas", NOW - HOUR, NOW - 2 * HOUR, "disk full")
    assert _rules(targets=[recovered]) == {}


def test_backup_old_and_never() -> None:
    old = TargetFacts("nas", NOW - 40 * HOUR)
    assert _rules(targets=[old]) == {"backup_old:nas": "no backup to nas has completed for 40 h"}
    never = TargetFacts("usb", None)
    assert _rules(targets=[never]) == {"backup_old:usb": "no backup to usb has ever completed"}
    # a target configured an hour ago is not late yet
    assert evaluate([], [never], POLICY, NOW, NOW - HOUR) == {}


def test_damage_until_a_clean_read() -> None:
    damaged = TargetFacts(
        "nas", NOW - HOUR, last_damage_at=NOW - 2 * HOUR, last_damage="pack ab12 unreadable"
    )
    assert _rules(targets=[damaged]) == {
        "backup_damaged:nas": "reading back nas found damage: pack ab12 unreadable"
    }
    clean = TargetFacts(
        "nas", NOW - HOUR, last_damage_at=NOW - 2 * HOUR, last_clean_read_at=NOW - HOUR
    )
    assert _rules(targets=[clean]) == {}


ALERT = Alert("site_failing", "xa", "warning", "xa fails")


def test_tracker_tells_once_repeats_and_resolves() -> None:
    tr = Tracker(repeat_every=24 * HOUR)
    firing = {ALERT.key: ALERT}
    first = tr.step(firing, NOW)
    assert [n.kind for n in first] == ["firing"]
    tr.delivered(first[0], NOW)
    assert tr.step(firing, NOW + HOUR) == []
    again = tr.step(firing, NOW + 25 * HOUR)
    assert [(n.kind, n.since) for n in again] == [("repeat", NOW)]
    tr.delivered(again[0], NOW + 25 * HOUR)
    over = tr.step({}, NOW + 26 * HOUR)
    assert [(n.kind, n.alert.key) for n in over] == [("resolved", ALERT.key)]
    tr.delivered(over[0], NOW + 26 * HOUR)
    assert tr.step({}, NOW + 27 * HOUR) == []


def test_undelivered_notices_are_offered_again() -> None:
    tr = Tracker(repeat_every=None)
    firing = {ALERT.key: ALERT}
    assert [n.kind for n in tr.step(firing, NOW)] == ["firing"]  # delivery failed
    retry = tr.step(firing, NOW + HOUR)
    assert [n.kind for n in retry] == ["firing"]
    tr.delivered(retry[0], NOW + HOUR)
    assert [n.kind for n in tr.step({}, NOW + 2 * HOUR)] == ["resolved"]  # delivery failed
    # it fires again before the resolution got through: the operator was never told it ended
    assert tr.step(firing, NOW + 3 * HOUR) == []
    assert [n.kind for n in tr.step({}, NOW + 4 * HOUR)] == ["resolved"]


def test_an_alert_never_told_is_not_taken_back() -> None:
    tr = Tracker()
    tr.step({ALERT.key: ALERT}, NOW)  # not delivered
    assert tr.step({}, NOW + HOUR) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40))
def test_what_the_operator_hears_follows_the_truth(rounds: list[tuple[bool, bool]]) -> None:
    """Over any sequence of rounds (alert fires or not; delivery works or not): notices that
    got through alternate firing/resolved, and once delivery works, the operator's picture
    equals the truth."""
    tr = Tracker(repeat_every=None)
    told: list[str] = []
    for i, (fires, delivers) in enumerate(rounds):
        now = NOW + i * HOUR
        for notice in tr.step({ALERT.key: ALERT} if fires else {}, now):
            if delivers:
                tr.delivered(notice, now)
                told.append(notice.kind)
    assert all(a != b for a, b in itertools.pairwise(told)), told
    assert not told or told[0] == "firing"
    fires_last = rounds[-1][0]
    now = NOW + len(rounds) * HOUR
    for notice in tr.step({ALERT.key: ALERT} if fires_last else {}, now):
        tr.delivered(notice, now)
        told.append(notice.kind)
    believed = bool(told) and told[-1] == "firing"
    assert believed == fires_last


def test_dead_deliveries_alert_per_target_as_the_prometheus_rule_does() -> None:
    from syncd.alerting.rules import delivery_alerts

    assert delivery_alerts({"xa-1": 0}) == []
    (alert,) = delivery_alerts({"xa-1": 2, "xa-2": 0})
    assert (alert.rule, alert.subject, alert.severity) == ("SyncdDeliveriesDead", "xa-1", "warning")
    # the same words as config/alerts.yml's summary, so both channels read alike
    assert alert.summary == "2 deliveries to xa-1 are parked as dead (syncd deliveries)"
