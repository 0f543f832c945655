"""The status page's HTML (pure: report in, markup out).

Self-contained on purpose: inline style, no script, no external asset, so it works on an
offline operations network. Every value from the store or the configuration goes through
`escape`, attributes included: unit names, errors and event messages come from outside.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from syncd.spans import span
from syncd.store.status import BackupEvent, EventRow
from syncd.web.report import BackupRow, SiteRow, StatusReport, one_line

REFRESH_SECONDS = 15

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1f24}
h1{font-size:1.35rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;font-size:.88rem;
vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.state{font-weight:600;white-space:nowrap}.muted{color:#57606a}
.s-ok{color:#1a7f37}.s-failing,.s-degraded,.s-damaged{color:#cf222e}
.s-pending,.s-partial,.s-stale{color:#9a6700}
.banner{padding:.6rem .8rem;border-radius:6px;margin:.5rem 0 1rem}
.banner.good{background:#dafbe1}.banner.bad{background:#ffebe9}.banner ul{margin:.3rem 0 0}
.summary span{margin-right:1rem}
td.reason,td.failure{overflow-wrap:anywhere;min-width:12rem;max-width:24rem}
footer{margin-top:1.5rem;font-size:.85rem}
"""


def _ago(value: datetime | None, now: datetime, never: str = "never") -> str:
    if value is None:
        return f'<span class="muted">{escape(never)}</span>'
    seconds = int((now - value).total_seconds())
    text = f"in {span(-seconds)}" if seconds < 0 else f"{span(seconds)} ago"
    return _time(value, text)


def _until(value: datetime | None, now: datetime) -> str:
    if value is None:
        return '<span class="muted">not scheduled</span>'
    seconds = int((value - now).total_seconds())
    return _time(value, f"in {span(seconds)}" if seconds > 0 else "due now")


def _time(value: datetime, text: str) -> str:
    absolute = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (f'<time datetime="{escape(value.isoformat())}" title="{escape(absolute)}">'
            f"{escape(text)}</time>")  # fmt: skip


def _interval(seconds: int | None) -> str:
    return "—" if seconds is None else f"every {span(seconds)}"


def _link(url: str) -> str:
    # only web addresses become links: a javascript: URL in a config must stay inert text
    if url.startswith(("http://", "https://")):
        return f'<a href="{escape(url)}" rel="noreferrer">{escape(url)}</a>'
    return escape(url)


def _state(state: str, text: str | None = None) -> str:
    return f'<span class="state s-{escape(state)}">{escape(text or state.upper())}</span>'


def _site_row(r: SiteRow, now: datetime) -> str:
    s = r.site
    unit = escape(s.unit_name or s.unit_key)
    level = f' <span class="muted">({escape(s.unit_level)})</span>' if s.unit_level else ""
    state = _state(r.state) + (' <span class="muted">running</span>' if r.running else "")
    if r.last_failure is not None:
        failure = (f"{_ago(r.last_failure.at, now)}: "
                   f'<span title="{escape(r.last_failure.message)}">'
                   f"{escape(one_line(r.last_failure.message))}</span>")  # fmt: skip
    elif s.failures and s.last_attempt_at is not None:
        failure = f"{_ago(s.last_attempt_at, now)}: {escape(r.reason)}"
    else:
        failure = '<span class="muted">none recorded</span>'
    reason = escape(r.reason) if r.reason else '<span class="muted">—</span>'
    return (
        f'<tr data-site="{escape(s.key)}" data-state="{escape(r.state)}">'
        f"<td><b>{escape(s.key)}</b><br>{_link(s.base_url)}</td>"
        f'<td class="unit">{unit}{level}</td>'
        f'<td>{state}</td><td class="reason">{reason}</td>'
        f'<td class="n failures">{s.failures}</td><td>{_interval(s.interval_seconds)}</td>'
        f'<td class="n items">{r.live_items}</td><td class="n deleted">{s.deleted}</td>'
        f'<td class="n revisions">{s.revisions}</td>'
        f"<td>{'yes' if s.degraded else 'no'}</td>"
        f'<td>{_ago(s.last_success_at, now)}</td><td class="failure">{failure}</td>'
        f"<td>{_until(s.next_due_at, now)}</td></tr>"
    )


def _check(e: BackupEvent | None, now: datetime) -> str:
    if e is None:
        return '<span class="muted">no read-back recorded</span>'
    label = {"backup.verified": "verified", "backup.sampled": "sampled",
             "backup.damaged": "DAMAGED"}.get(e.kind, e.kind)  # fmt: skip
    css = "s-damaged" if e.kind == "backup.damaged" or e.severity == "error" else "s-ok"
    return (f'<span class="state {css}">{escape(label)}</span> {_ago(e.at, now)}<br>'
            f'<span class="muted">{escape(one_line(e.message))}</span>')  # fmt: skip


def _backup_row(b: BackupRow, now: datetime) -> str:
    o = b.backup
    done = o.last_done
    if done is None:
        last = '<span class="muted">never</span>'
    else:
        added = done.data.get("bytes_added")
        size = f", {int(added):,} bytes added" if isinstance(added, int) else ""
        healed = done.data.get("healed_objects")
        if isinstance(healed, int) and healed:
            size += f", {healed:,} lost objects stored again"
        last = f"{_ago(done.at, now)}{escape(size)}"
    age = span(int(b.age.total_seconds())) if b.age is not None else "—"
    failed = (f"{_ago(o.last_failed.at, now)}: {escape(one_line(o.last_failed.message))}"
              if o.last_failed else '<span class="muted">none recorded</span>')  # fmt: skip
    reason = f'<br><span class="reason">{escape(b.reason)}</span>' if b.reason else ""
    return (
        f'<tr data-target="{escape(o.target)}" data-state="{escape(b.state)}">'
        f"<td>{escape(o.target)}</td><td>{_state(b.state)}{reason}</td>"
        f'<td>{last}</td><td class="age">{escape(age)}</td>'
        f'<td class="snapshot"><code>{escape(o.snapshot or "—")}</code></td>'
        f"<td>{_check(o.last_check, now)}</td><td>{failed}</td></tr>"
    )


def _event_row(e: EventRow, now: datetime) -> str:
    css = {"error": "s-failing", "warning": "s-stale"}.get(e.severity, "")
    return (
        f"<tr><td>{_ago(e.at, now)}</td><td>{escape(e.site_key or '')}</td>"
        f'<td class="{css}">{escape(e.kind)}</td><td>{escape(e.message)}</td></tr>'
    )


def _banner(report: StatusReport) -> str:
    attention = report.attention
    if not attention:
        return (f'<div class="banner good" id="overall">All {len(report.sites)} sites OK, '
                "backups current.</div>")  # fmt: skip
    items = "".join(f"<li>{escape(line)}</li>" for line in attention)
    return (f'<div class="banner bad" id="overall"><b>Needs attention ({len(attention)})</b>'
            f"<ul>{items}</ul></div>")  # fmt: skip


def _syndication(report: StatusReport, now: datetime) -> str:
    o = report.syndication
    if o is None or not (o.copies or o.pending or o.dead):
        return ""
    states = ", ".join(f"{n} {escape(s.replace('_', ' '))}" for s, n in sorted(o.copies.items()))
    queue = "".join(
        f'<tr data-copy="{q.id}"><td>{q.id}</td><td>{escape(q.target)}</td>'
        f"<td>{escape(q.route)}</td><td>{_link(q.source_url)} {escape(q.title or '')}</td>"
        f"<td>{escape(q.note or '')}</td><td>{_ago(q.created_at, now)}</td></tr>"
        for q in o.queue
    ) or '<tr><td colspan="6" class="muted">Nothing waits for approval.</td></tr>'
    dead = "".join(
        f'<tr><td>{d.id}</td><td>{escape(d.target)}</td><td>{escape(d.action)}</td>'
        f'<td class="s-failing">{escape(d.error or "")}</td><td>{_ago(d.at, now)}</td></tr>'
        for d in o.dead_list
    )
    dead_table = (
        '<h3>Dead deliveries</h3><table id="dead"><thead><tr><th>delivery</th><th>target</th>'
        f"<th>action</th><th>error</th><th>when</th></tr></thead><tbody>{dead}</tbody></table>"
        if dead
        else ""
    )
    return f"""<h2>Syndication</h2>
<p class="summary" id="syndication">copies: {states or "none"}; {o.pending} deliveries waiting,
<span class="{"s-failing" if o.dead else ""}">{o.dead} dead</span>.
Approve with <code>syncd approvals approve ID</code>.</p>
<h3>Waiting for approval ({o.awaiting})</h3>
<table id="approvals"><thead><tr><th>copy</th><th>to</th><th>route</th><th>article</th>
<th>why</th><th>since</th></tr></thead><tbody>{queue}</tbody></table>
{dead_table}"""


def render_status(report: StatusReport) -> str:
    now = report.generated_at
    counts = "".join(
        f'<span class="s-{state}">{report.count(state)} {state}</span>'
        for state in ("ok", "partial", "pending", "degraded", "failing")
    )
    sites = "".join(_site_row(r, now) for r in report.sites)
    backups = "".join(_backup_row(b, now) for b in report.backups) or (
        '<tr><td colspan="7" class="s-stale">No backup recorded in the event log.</td></tr>'
    )
    events = "".join(_event_row(e, now) for e in report.events)
    stale = span(int(report.stale_after.total_seconds()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>syncd status</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}"><style>{_STYLE}</style></head>
<body><h1>syncd {escape(report.version)} — {len(report.sites)} sites</h1>
<p class="summary">{counts}<span class="muted">as of {_time(now, now.strftime("%H:%M:%S UTC"))},
refreshes every {REFRESH_SECONDS} s</span></p>
{_banner(report)}
<h2>Sites</h2>
<table id="sites"><thead><tr><th>site</th><th>unit</th><th>state</th><th>reason</th>
<th title="failed passes in a row">failures</th><th>polls</th><th>items</th><th>deleted</th>
<th>revisions</th><th>degraded</th><th>last success</th><th>last failure</th><th>next poll</th>
</tr></thead>
<tbody>{sites}</tbody></table>
<h2>Backups</h2>
<p class="muted">A target is stale when its last backup is older than {escape(stale)}.</p>
<table id="backups"><thead><tr><th>target</th><th>state</th><th>last backup</th><th>age</th>
<th>snapshot</th><th>last read-back</th><th>last failure</th></tr></thead>
<tbody>{backups}</tbody></table>
{_syndication(report, now)}
<h2>Recent events</h2>
<table id="events"><thead><tr><th>when</th><th>site</th><th>event</th><th>message</th></tr></thead>
<tbody>{events}</tbody></table>
<footer><a href="status.json">status.json</a> · <a href="metrics">metrics</a> ·
<a href="healthz">healthz</a> · <a href="readyz">readyz</a></footer>
</body></html>"""
