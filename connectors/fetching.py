"""Fetch steps shared by connectors: documents re-read from memory on 304, Gone on 404/410,
media with file names, and change detection for items that come whole from a feed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from email.message import Message
from urllib.parse import unquote, urlsplit

from connectors.errors import HttpStatus
from connectors.http import HttpClient, Response, Trust, Validators, ValidatorStore
from connectors.model import Gone, GoneType, Media, MediaRef, NotModified, NotModifiedType
from connectors.text import nfc

HeaderSource = Callable[[], Awaitable[Mapping[str, str]]]

_GONE_CODES = frozenset({404, 410})
_EXTENDED_NAME = re.compile(r"filename\*\s*=\s*([\w-]*)'[\w-]*'([^;\s]+)", re.IGNORECASE)


async def get_or_gone(
    http: HttpClient,
    url: str,
    *,
    validators: ValidatorStore | None,
    trust: Trust,
    headers: Mapping[str, str] | None = None,
) -> Response | GoneType:
    """A conditional GET where 404 and 410 mean the thing is gone rather than an error."""
    try:
        return await http.get(url, validators=validators, trust=trust, headers=headers)
    except HttpStatus as error:
        if error.code in _GONE_CODES:
            return Gone
        raise


class DocumentCache:
    """Listing documents (feeds, sitemaps) fetched conditionally. On a 304 the bytes of the
    last 200 are reused; after a restart there are none, so the document is fetched again
    without validators: a listing must always have entries to list."""

    def __init__(self, http: HttpClient, validators: ValidatorStore, trust: Trust) -> None:
        self.http = http
        self.validators = validators
        self.trust = trust
        self._bodies: dict[str, Response] = {}

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        response = await self.http.get(
            url, validators=self.validators, trust=self.trust, headers=headers
        )
        if response.not_modified:
            cached = self._bodies.get(url)
            if cached is not None:
                return cached
            response = await self.http.get(url, trust=self.trust, headers=headers)
        self._bodies[url] = response
        return response

    def forget(self, url: str) -> None:
        """Drop the bytes kept for ``url``: for documents read once and parsed at once."""
        self._bodies.pop(url, None)


async def fetch_media(
    http: HttpClient,
    ref: MediaRef,
    *,
    validators: ValidatorStore,
    trust: Trust,
    headers: Mapping[str, str] | None = None,
) -> Media | NotModifiedType | GoneType:
    response = await get_or_gone(http, ref.url, validators=validators, trust=trust, headers=headers)
    if response is Gone:
        return Gone
    if response.not_modified:
        return NotModified
    return Media(
        url=ref.url,
        content_type=response.content_type or "application/octet-stream",
        data=response.body,
        filename=disposition_filename(response.headers.get("Content-Disposition"))
        or ref.filename
        or _path_name(response.url),
    )


def disposition_filename(value: str | None) -> str | None:
    """The file name in a Content-Disposition header; RFC 6266's filename* wins over filename."""
    if not value:
        return None
    extended = _EXTENDED_NAME.search(value)
    if extended is not None:
        charset, encoded = extended.groups()
        try:
            name: str | None = unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            name = None
    else:
        message = Message()
        message["Content-Disposition"] = value
        name = message.get_filename()
    return (nfc(name).strip() or None) if name else None


def _path_name(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return nfc(name) or None


async def changed(validators: ValidatorStore, key: str, fingerprint: str) -> bool:
    """For items built from feed content, with no URL of their own to ask conditionally: a
    content fingerprint kept in the validator store under ``feed-item:<key>`` stands in for
    an ETag. Returns True (and records it) when the fingerprint differs from the last one."""
    slot = f"feed-item:{key}"
    etag = f'"{fingerprint}"'
    known = await validators.get(slot)
    if known is not None and known.etag == etag:
        return False
    await validators.set(slot, Validators(etag, None))
    return True


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]
