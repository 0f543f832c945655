"""Delivery through Apprise (e-mail, chat, webhooks: one library, one URL scheme each).
The only module that imports it, so it can be swapped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import apprise

from syncd.alerting.tracker import Notice

_TYPES = {
    "critical": apprise.NotifyType.FAILURE,
    "warning": apprise.NotifyType.WARNING,
    "info": apprise.NotifyType.INFO,
}

# Apprise logs every failure with its own wording; syncd reports them itself, once.
logging.getLogger("apprise").setLevel(logging.CRITICAL)


class BadURL(ValueError):
    """`index` is the position of the URL in the configured list."""

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__("not a notification URL that Apprise knows")


@dataclass(frozen=True)
class Channel:
    label: str  # where the URL came from (never the URL: it may hold a token)
    sender: apprise.Apprise


def channels(urls: Sequence[tuple[str, str]]) -> list[Channel]:
    """One channel per (label, URL). BadURL for a URL no Apprise plugin accepts."""
    out = []
    for index, (label, url) in enumerate(urls):
        sender = apprise.Apprise()
        if not sender.add(url):
            raise BadURL(index)
        out.append(Channel(label, sender))
    return out


def body_of(notice: Notice) -> str:
    started = notice.since.strftime("%Y-%m-%d %H:%M UTC")
    if notice.kind == "resolved":
        return f"Resolved: {notice.alert.summary} (since {started})"
    return f"{notice.alert.summary} (since {started})"


async def send(channel: Channel, notice: Notice) -> bool:
    kind = (
        apprise.NotifyType.SUCCESS if notice.kind == "resolved" else _TYPES[notice.alert.severity]
    )
    ok = await asyncio.to_thread(
        channel.sender.notify, body=body_of(notice), title=notice.title, notify_type=kind
    )
    return bool(ok)
