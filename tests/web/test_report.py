"""How the status report judges sites and backups from the store's records, and how the page
renders the judgement (without a browser: the markup itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from syncd.store import schema as t
from syncd.store.status import BackupEvent, BackupOverview, SiteOverview, last_failures
from syncd.store.store import Store, utcnow
from syncd.web.page import render_status
from syncd.web.report import build_report, judge_backup, judge_site, one_line, report_json

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _site(**changes: object) -> SiteOverview:
    fields: dict[str, object] = {
        "key": "kr", "unit_key": "kr", "kind": "dnn", "base_url": "https://kr.example",
        "items": 10, "deleted": 2, "failures": 0, "degraded": False,
        "last_success_at": NOW - timedelta(minutes=5), "next_due_at": NOW + timedelta(minutes=10),
        "last_error": None,
    }  # fmt: skip
    fields.update(changes)
    return SiteOverview(**fields)  # type: ignore[arg-type]


def _done(age: timedelta, severity: str = "info") -> BackupEvent:
    return BackupEvent(NOW - age, "backup.done", severity, "snapshot abc", {"snapshot": "abc"})


def test_site_states_worst_first() -> None:
    assert judge_site(_site(), None, NOW).state == "ok"
    failing = judge_site(_site(failures=3, last_error="HTTP 500\n  at /Sitemap.aspx"), None, NOW)
    assert (failing.state, failing.reason) == ("failing", "HTTP 500 at /Sitemap.aspx")
    assert judge_site(_site(degraded=True), None, NOW).state == "degraded"
    assert judge_site(_site(last_success_at=None), None, NOW).state == "pending"
    partial = judge_site(_site(last_error="item 4: timeout"), None, NOW)
    assert (partial.state, partial.reason) == ("partial", "item 4: timeout")
    assert judge_site(_site(lease_until=NOW + timedelta(minutes=1)), None, NOW).running


def test_backup_states() -> None:
    stale_after = timedelta(hours=26)

    def state(**events: BackupEvent | None) -> str:
        overview = BackupOverview("nas", events.get("done"), events.get("failed"),
                                  events.get("check"))  # fmt: skip
        return judge_backup(overview, NOW, stale_after).state

    assert state(done=_done(timedelta(hours=3))) == "ok"
    assert state(done=_done(timedelta(hours=30))) == "stale"
    assert state() == "stale"
    failed = BackupEvent(NOW - timedelta(hours=1), "backup.failed", "error", "disk full", {})
    assert state(done=_done(timedelta(hours=3)), failed=failed) == "failing"
    # a failure before the last good backup is history, not the current state
    assert state(done=_done(timedelta(minutes=5)), failed=failed) == "ok"
    damaged = BackupEvent(NOW - timedelta(hours=1), "backup.damaged", "error", "2 problems", {})
    assert state(done=_done(timedelta(hours=3)), check=damaged) == "damaged"
    assert state(done=_done(timedelta(hours=3), severity="warning")) == "damaged"


def test_one_line() -> None:
    assert one_line("a\n\tb  c") == "a b c"
    assert one_line("x" * 500, 10) == "x" * 9 + "…"
    assert one_line(None) == ""


async def test_page_escapes_and_warns(store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(insert(t.units).values(
            key="kon-ray", name='<b class="x">Kon Rẫy</b>', level="district", updated_at=NOW,
        ))  # fmt: skip
        await conn.execute(insert(t.events).values(
            at=utcnow() - timedelta(days=2), kind="backup.done", severity="info",
            message="snapshot s1", data={"target": "target nas (/srv)", "snapshot": "s1"},
        ))  # fmt: skip
    await store.ensure_site("evil", "kon-ray", "dnn", "javascript:alert(1)")
    await store.log_event("mirror.failed", 'bad "quote" <i>x</i>', site_key="evil",
                          severity="error")  # fmt: skip
    report = await build_report(store.engine, version="<v>")
    html = render_status(report)
    assert '<b class="x">' not in html and "&lt;b class=&quot;x&quot;&gt;Kon Rẫy" in html
    assert "<i>x</i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html
    assert 'href="javascript:' not in html and "<v>" not in html
    assert 'data-target="target nas (/srv)" data-state="stale"' in html
    assert "last backup is 2 days old" in html
    data = report_json(report)
    assert data["ok"] is False
    assert data["backups"][0]["snapshot"] == "s1" and data["backups"][0]["state"] == "stale"
    assert data["sites"][0]["state"] == "pending"
    assert data["sites"][0]["last_failure"]["message"] == 'bad "quote" <i>x</i>'


async def test_last_failures_look_back_is_bounded(store: Store) -> None:
    await store.log_event("mirror.failed", "old failure", site_key="konray", severity="error")
    for n in range(5):
        await store.log_event("mirror.pass", f"pass {n}", site_key="konray")
    assert (await last_failures(store.engine, window=10))["konray"].message == "old failure"
    assert await last_failures(store.engine, window=3) == {}
