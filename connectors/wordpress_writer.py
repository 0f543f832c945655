"""Writing copies through the WordPress REST API (wp/v2) with an application password.

WordPress facts this writer is built on (checked against Debian's WordPress 6.1):

- Application passwords work over Basic auth, and only over HTTPS unless the site's
  environment type is "local" (or a filter allows them); a wrong one answers 401.
- An account without ``unfiltered_html`` (authors; editors on multisite) has its content run
  through kses: scripts, forms, iframes and unknown attributes go, while links, images,
  ``class`` and ``data-*`` stay. The origin marker is a link, which survives.
- Post meta is writable over REST only when a plugin registers it with show_in_rest, and the
  posts collection offers no meta query: a marker there would be neither portable nor
  findable. The collection's ``search`` does a LIKE over title, excerpt and content, on any
  status the account may read, so find_copy searches for the marker's token (one search
  term: no spaces, commas, plus signs or quotes) and confirms it in ``content.raw``.
- ``date_gmt`` sets the publication date; ``author`` can name only oneself unless the
  account may edit others' posts, so the original author travels in the attribution.
- Categories are referred to by id; an author may not create them (and this writer never
  does): unknown names are refused before anything is written.
- Media: POST /wp/v2/media with the raw bytes and a Content-Disposition filename; files
  live in the site's shared library, so an upload serves every copy. The file's sha-256 goes
  into the attachment's description, where the media search finds it before an upload.
- Trashed posts are outside ``search``: a copy someone trashed by hand is not found again.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from connectors.errors import ConnectionFailed, FetchError, Timeout
from connectors.http import HttpClient, Response
from connectors.model import Media
from connectors.origin_marker import OriginMarker, find_marker, marker_html
from connectors.writer import (
    OutgoingPost,
    RemoteCopy,
    RemoteRef,
    WriterTraits,
    check_categories,
    sha256_hex,
)
from connectors.writer_errors import (
    CopyMissing,
    CredentialsRefused,
    OutcomeUnknown,
    PostRejected,
    TargetUnavailable,
    WriteError,
)

# Statuses find_copy looks in: every one but trash (a copy trashed by hand stays gone).
_SEARCHED = "publish,future,draft,pending,private"
_PAGE = 100


@dataclass(frozen=True)
class WordPressTarget:
    """Where and as whom to write. ``api_root`` is the REST root (``.../wp-json/``)."""

    api_root: str
    username: str
    app_password: str
    allow_private: bool = False


@dataclass
class WordPressWriter:
    target: WordPressTarget
    http: HttpClient
    _logged_in: bool = field(default=False, init=False)

    @property
    def traits(self) -> WriterTraits:
        return WriterTraits(dates=True, authors=False, media_scope="site", unfilled_limit=None)

    async def find_copy(self, marker: OriginMarker) -> RemoteRef | None:
        query = {"search": marker.search_key, "status": _SEARCHED, "context": "edit",
                 "_fields": "id,link,content", "per_page": _PAGE}  # fmt: skip
        for post in await self._json("GET", "wp/v2/posts", query=query):
            found = find_marker(str(post.get("content", {}).get("raw", "")))
            if found is not None and found.origin == marker.origin:
                return RemoteRef(str(post["id"]), post.get("link"))
        return None

    async def reserve(self, post: OutgoingPost) -> RemoteRef:
        content = marker_html(post.marker, post.origin_url, post.attribution)
        payload = {"title": post.title, "content": content, "status": "draft"}
        try:
            made = await self._json("POST", "wp/v2/posts", payload=payload)
        except TargetUnavailable as error:
            raise OutcomeUnknown(self.target.api_root, f"creating the post: {error}") from error
        return RemoteRef(str(made["id"]), made.get("link"))

    async def update(self, ref: RemoteRef, post: OutgoingPost) -> None:
        ids = await self._category_ids()
        check_categories(self.target.api_root, post.categories, tuple(ids))
        payload: dict[str, Any] = {
            "title": post.title,
            "content": post.marked_body(),
            "status": "publish" if post.status == "published" else "draft",
            "categories": [ids[name] for name in post.categories],
            "excerpt": post.summary,
        }
        if post.published is not None:
            payload["date_gmt"] = _wp_date(post.published)
        await self._json("POST", f"wp/v2/posts/{ref.id}", payload=payload, missing=ref)

    async def unpublish(self, ref: RemoteRef) -> None:
        await self._json("POST", f"wp/v2/posts/{ref.id}", payload={"status": "draft"}, missing=ref)

    async def delete(self, ref: RemoteRef) -> None:
        with contextlib.suppress(CopyMissing):  # already gone is what was wanted
            await self._json(
                "DELETE", f"wp/v2/posts/{ref.id}", query={"force": "true"}, missing=ref
            )

    async def upload_media(self, ref: RemoteRef, media: Media) -> str:
        tag = f"syncd-sha256-{sha256_hex(media.data)}"
        query = {"search": tag, "_fields": "id,source_url,description", "context": "edit"}
        for found in await self._json("GET", "wp/v2/media", query=query):
            if tag in str(found.get("description", {}).get("raw", "")):
                return str(found["source_url"])
        name = _ascii_name(media.filename or media.url.rsplit("/", 1)[-1])
        headers = {
            "Content-Type": media.content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        }
        made = await self._json("POST", "wp/v2/media", query={"description": tag, "post": ref.id},
                                body=media.data, headers=headers)  # fmt: skip
        return str(made["source_url"])

    async def get(self, ref: RemoteRef) -> RemoteCopy | None:
        try:
            post = await self._json("GET", f"wp/v2/posts/{ref.id}", query={"context": "edit"},
                                    missing=ref)  # fmt: skip
        except CopyMissing:
            return None
        names = {v: k for k, v in (await self._category_ids()).items()}
        body = str(post.get("content", {}).get("raw", ""))
        date = post.get("date_gmt")
        return RemoteCopy(
            ref=RemoteRef(ref.id, post.get("link")),
            title=str(post.get("title", {}).get("raw", "")),
            body_html=body,
            status="published" if post.get("status") == "publish" else "draft",
            published=datetime.fromisoformat(date).replace(tzinfo=UTC) if date else None,
            categories=tuple(names[i] for i in post.get("categories", ()) if i in names),
            marker=find_marker(body),
        )

    async def list_categories(self) -> tuple[str, ...]:
        return tuple(await self._category_ids())

    # -- helpers -----------------------------------------------------------------------------

    async def _category_ids(self) -> dict[str, int]:
        ids: dict[str, int] = {}
        page = 1
        while True:
            query = {"per_page": _PAGE, "page": page, "_fields": "id,name"}
            batch = await self._json("GET", "wp/v2/categories", query=query)
            ids.update({html.unescape(str(c["name"])): int(c["id"]) for c in batch})
            if len(batch) < _PAGE:
                return ids
            page += 1

    async def _login(self) -> None:
        """Check the credentials once: WordPress answers a refused application password on
        other routes as an anonymous request (a 400 for a draft status, say), not a 401."""
        if not self._logged_in:
            await self._json("GET", "wp/v2/users/me", query={"_fields": "id"}, checked=True)
            self._logged_in = True

    async def _json(
        self,
        method: str,
        route: str,
        *,
        query: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        missing: RemoteRef | None = None,
        checked: bool = False,
    ) -> Any:
        if not checked:
            await self._login()
        t = self.target
        url = t.api_root + route + ("?" + urlencode(query) if query else "")
        sent = {"Authorization": self._auth(), "Accept": "application/json", **(headers or {})}
        if payload is not None:
            body = json.dumps(payload).encode()
            sent["Content-Type"] = "application/json"
        try:
            response = await self.http.send(
                method, url, body, headers=sent, allow_private=t.allow_private
            )
        except (Timeout, ConnectionFailed) as error:
            raise TargetUnavailable(t.api_root, f"{method} {route}: {error}") from error
        except FetchError as error:
            raise WriteError(t.api_root, f"{method} {route}: {error}") from error
        if 200 <= response.status < 300:
            return json.loads(response.body)
        raise _error(t.api_root, method, route, response, missing)

    def _auth(self) -> str:
        pair = f"{self.target.username}:{self.target.app_password}".encode()
        return "Basic " + base64.b64encode(pair).decode()


def _error(
    target: str, method: str, route: str, response: Response, missing: RemoteRef | None
) -> WriteError:
    try:
        answer = json.loads(response.body)
        code = str(answer["code"])
        detail = f"{answer.get('message', '')} ({code})"
    except (ValueError, KeyError, TypeError):
        code, detail = "", f"HTTP {response.status}"
    detail = " ".join(html.unescape(re.sub(r"<[^>]+>", "", detail)).split())
    where = f"{method} {route}: {detail}"
    status = response.status
    if status in (401, 403):
        return CredentialsRefused(target, where)
    if status in (404, 410) and missing is not None:
        return CopyMissing(target, f"post {missing.id} no longer exists")
    if status >= 500 and code and code != "db_insert_error":
        # a WP_Error WordPress answered itself with a 5xx (a refused upload, say): no crash
        return PostRejected(target, where)
    if status >= 500 or status == 429:
        retry = response.headers.get("Retry-After")
        return TargetUnavailable(target, where, float(retry) if retry and retry.isdigit() else None)
    return PostRejected(target, where)


def _wp_date(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _ascii_name(name: str) -> str:
    """A file name WordPress accepts in Content-Disposition: ASCII letters, digits, dashes."""
    stem, dot, extension = name.rpartition(".")
    plain = unicodedata.normalize("NFKD", stem if dot else name).replace("đ", "d")
    plain = plain.replace("Đ", "D").encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", plain).strip("-") or "file"
    return f"{safe}.{re.sub(r'[^A-Za-z0-9]', '', extension)}" if dot else safe
