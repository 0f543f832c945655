"""Reading the moment an export is "as of" (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from syncd.export.errors import BadDate


def parse_as_of(text: str) -> datetime:
    """A date means the end of that day in UTC, so everything recorded that day is included;
    a date and time without a zone is taken as UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadDate(text) from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_of_or_now(value: datetime | None, now: datetime) -> datetime:
    """The cut-off in UTC; naive datetimes are read as UTC like everything in the store."""
    moment = value or now
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
