"""Announcements module items (generated, deterministic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from . import words
from .content import EPOCH
from .phrases import Picker, make_sentence


@dataclass(frozen=True)
class Announcement:
    item_id: int
    title: str
    description_html: str
    url: str
    publish: datetime
    expire: datetime | None
    created_by: str


def generate_announcements(seed: int, count: int, news_path: str) -> list[Announcement]:
    out: list[Announcement] = []
    for item_id in range(1, count + 1):
        rng = Picker(seed * 4_000_037 + item_id)
        publish = EPOCH + timedelta(days=item_id * 5, hours=rng.randrange(12))
        # The second item expired long ago, so "Current" must leave it out.
        expire = EPOCH + timedelta(days=item_id * 5 + 2) if item_id == 2 else None
        out.append(
            Announcement(
                item_id=item_id,
                title="Thông báo: " + rng.choice(words.TOPICS),
                description_html="<p>" + escape(make_sentence(rng), quote=False) + "</p>",
                url=f"/{news_path}",
                publish=publish,
                expire=expire,
                created_by="Văn phòng HĐND và UBND",
            )
        )
    return out
