"""The status page's HTML (pure: data in, markup out)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from syncd.store.status import EventRow, SiteOverview

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;font-size:.9rem}
th{background:#f6f8fa}.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}.warn{color:#9a6700}
"""


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return f"in {-seconds}s"
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _state(site: SiteOverview) -> tuple[str, str]:
    if site.degraded:
        return "bad", "degraded"
    if site.failures:
        return "warn", f"failing ({site.failures})"
    if site.last_success_at is None:
        return "warn", "not yet mirrored"
    return "ok", "ok"


def render_status(
    sites: list[SiteOverview], events: list[EventRow], *, version: str, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    rows = []
    for s in sites:
        css, label = _state(s)
        rows.append(
            f"<tr><td>{escape(s.key)}</td><td>{escape(s.unit_key)}</td>"
            f'<td><a href="{escape(s.base_url)}">{escape(s.base_url)}</a></td>'
            f'<td class="{css}">{label}</td><td>{s.items - s.deleted}</td><td>{s.deleted}</td>'
            f"<td>{_when(s.last_success_at, now)}</td><td>{_when(s.next_due_at, now)}</td>"
            f"<td>{escape(s.last_error or '')}</td></tr>"
        )
    event_rows = [
        f"<tr><td>{_when(e.at, now)}</td><td>{escape(e.site_key or '')}</td>"
        f'<td class="{"bad" if e.severity == "error" else ""}">{escape(e.kind)}</td>'
        f"<td>{escape(e.message)}</td></tr>"
        for e in events
    ]
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>syncd status</title>
<meta http-equiv="refresh" content="10"><style>{_STYLE}</style></head>
<body><h1>syncd {escape(version)} — {len(sites)} sites</h1>
<table id="sites"><thead><tr><th>site</th><th>unit</th><th>URL</th><th>state</th><th>items</th>
<th>deleted</th><th>last success</th><th>next pass</th><th>last error</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Recent events</h2>
<table id="events"><thead><tr><th>when</th><th>site</th><th>event</th><th>message</th></tr></thead>
<tbody>{"".join(event_rows)}</tbody></table>
<p><a href="metrics">metrics</a> · <a href="healthz">healthz</a> · <a href="readyz">readyz</a></p>
</body></html>"""
