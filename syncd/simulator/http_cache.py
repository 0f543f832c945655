"""Validators (ETag, Last-Modified) and conditional GET answers with 304."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web


def make_etag(*parts: bytes | str | int) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return '"' + digest.hexdigest()[:24] + '"'


def http_date(when: datetime) -> str:
    """RFC 1123 in GMT: 'Mon, 05 May 2025 02:30:00 GMT'."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def not_modified(request: web.Request, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        return _etag_matches(inm, etag)
    ims = request.headers.get("If-Modified-Since")
    if ims is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


def conditional_response(
    request: web.Request,
    body: bytes,
    content_type: str,
    charset: str | None,
    etag: str,
    last_modified: datetime | None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """200 with validators, or 304 with the same validators when the client is current."""
    out = dict(headers or {})
    out["ETag"] = etag
    if last_modified is not None:
        out["Last-Modified"] = http_date(last_modified)
    if not_modified(request, etag, last_modified):
        return web.Response(status=304, headers=out)
    return web.Response(body=body, content_type=content_type, charset=charset, headers=out)
