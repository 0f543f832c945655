"""When to tell operators: once when an alert starts, again every `repeat_every` while it
lasts, and once when it is over. A notice that could not be delivered is offered again at
the next step. Pure: the caller supplies the time and does the delivering."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from syncd.alerting.rules import Alert

NoticeKind = Literal["firing", "repeat", "resolved"]


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    alert: Alert
    since: datetime  # when the alert started

    @property
    def title(self) -> str:
        if self.kind == "resolved":
            return f"[syncd] resolved: {self.alert.rule} {self.alert.subject}"
        return f"[syncd] {self.alert.severity}: {self.alert.rule} {self.alert.subject}"


@dataclass(frozen=True)
class Open:
    alert: Alert
    since: datetime
    last_sent: datetime | None  # None: the operator has not been told yet


@dataclass
class Tracker:
    repeat_every: timedelta | None = timedelta(hours=24)
    open: dict[str, Open] = field(default_factory=dict)
    # over, but the operator has not been told so yet
    closing: dict[str, Open] = field(default_factory=dict)

    def step(self, firing: dict[str, Alert], now: datetime) -> list[Notice]:
        """What to send now, given every alert that fires now."""
        notices: list[Notice] = []
        for key, alert in firing.items():
            known = self.open.get(key) or self.closing.pop(key, None)
            if known is None:
                known = Open(alert, now, None)
            known = replace(known, alert=alert)  # the latest wording
            self.open[key] = known
            if known.last_sent is None:
                notices.append(Notice("firing", alert, known.since))
            elif self.repeat_every and now - known.last_sent >= self.repeat_every:
                notices.append(Notice("repeat", alert, known.since))
        for key in [k for k in self.open if k not in firing]:
            gone = self.open.pop(key)
            if gone.last_sent is not None:  # never announced: nothing to take back
                self.closing[key] = gone
        notices += [Notice("resolved", c.alert, c.since) for c in self.closing.values()]
        return notices

    def delivered(self, notice: Notice, now: datetime) -> None:
        key = notice.alert.key
        if notice.kind == "resolved":
            self.closing.pop(key, None)
        elif key in self.open:
            self.open[key] = replace(self.open[key], last_sent=now)
