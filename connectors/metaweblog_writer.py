"""Writing copies through MetaWeblog XML-RPC, as the DNN Blog module's BlogPost.ashx serves it.

What the DNN Blog module (DNNCommunity/DNN.Blog, blogpost.ashx.vb on XML-RPC.NET 2.5) does
differently from other MetaWeblog servers, and what this writer does about it:

- Every failure is an XML-RPC fault with code 0, inside an HTTP 200; only the localisable
  message differs. Credentials are recognised by the default texts of its login and
  permission faults; everything else is judged by looking at the target afterwards.
- newPost saves the post first and then moves attachments, sets terms and writes to the
  journal: a fault after the save still leaves the post behind. A newPost fault is therefore
  OutcomeUnknown, never "nothing was created".
- blogger.deletePost returns false even when it deleted the post, and getPost/editPost on a
  missing id fault with a .NET null-reference message. Deletes and edits are checked with
  getPost, and "missing" is concluded only when an authenticated getRecentPosts succeeds.
- getRecentPosts ignores the count asked for and returns the module's WLWRecentPostsMax
  (10 by default) newest posts by publication date, drafts included. Copies keep their
  original (often old) dates, so a finished copy is soon out of that window. Exactly-once
  therefore uses placeholders: ``reserve`` creates the post as a draft dated far in the
  future, which keeps it at the top of getRecentPosts until ``update`` gives it its real
  date; the caller records the id in between. At most ``unfilled_limit`` placeholders may
  be pending at once per target.
- dateCreated is required (a post without it is refused by the XML-RPC library), carries no
  time zone, and is read as the user's preferred time zone (else the portal's): the writer
  sends local time in ``timezone``. getPost's dateCreated is the creation time, wrongly
  shifted; the publication date comes back in pubDate and date_created_gmt (UTC).
- Categories must exist in the module's vocabulary: unknown names are dropped silently and
  none are kept when no vocabulary is configured. The writer checks names first.
- HTML is stored verbatim (HTML-encoded); nothing is stripped. A body that starts with an
  image loses that image to the post's main image field.
- newMediaObject keeps only the extension, stores the file as a new GUID name under
  /Portals/{portal}/Blog/Files/{blog}/_temp_images/ and returns that site-relative URL; the
  next newPost/editPost moves every temporary file its body names into the post's own folder
  (Blog/Files/{blog}/{post}/), rewrites the body, and deletes files of that folder the body
  no longer names. A file therefore serves one post only: media are deduplicated per copy,
  by hashing the files the copy's body already links to.
- getPost turns ``src="/`` into ``src="http://{host}/`` (http, no port).
"""

from __future__ import annotations

import xmlrpc.client
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urljoin, urlsplit

from connectors.errors import ConnectionFailed, FetchError, Timeout
from connectors.htmltree import parse_fragment
from connectors.http import HttpClient
from connectors.media_links import rewrite_media
from connectors.model import Media
from connectors.origin_marker import OriginMarker, find_marker, marker_html
from connectors.writer import (
    OutgoingPost,
    PostStatus,
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

# Far in the future, so a placeholder sorts above every real post in getRecentPosts.
PLACEHOLDER_DATE = datetime(2999, 1, 1)
RECENT_POSTS_CAP = 10

# Default texts of the DNN Blog's login and permission faults (lower case), plus the codes
# other MetaWeblog servers use for a refused login.
_REFUSED_TEXTS = (
    "username or the password is invalid",
    "trying to authenticate the user",
    "access to this blog is not permitted",
    "through this api has been denied",
)
_REFUSED_CODES = frozenset({403, 801})


@dataclass(frozen=True)
class MetaWeblogTarget:
    """Where and as whom to write. ``endpoint`` is the full BlogPost.ashx URL (with
    portalid, tabid, moduleid); ``base_url`` is the site root that relative URLs resolve
    against; ``timezone`` is the writing user's preferred time zone (else the portal's)."""

    endpoint: str
    base_url: str
    username: str
    password: str
    timezone: tzinfo
    blog_id: str = "1"
    allow_private: bool = False


@dataclass
class MetaWeblogWriter:
    target: MetaWeblogTarget
    http: HttpClient
    # sha-256 -> URL of files uploaded or seen per copy, and of every file URL hashed
    _uploads: dict[tuple[str, str], str] = field(default_factory=dict)
    _hashes: dict[str, str] = field(default_factory=dict)

    @property
    def traits(self) -> WriterTraits:
        return WriterTraits(
            dates=True, authors=False, media_scope="copy", unfilled_limit=RECENT_POSTS_CAP - 1
        )

    # -- the protocol ------------------------------------------------------------------------

    async def find_copy(self, marker: OriginMarker) -> RemoteRef | None:
        t = self.target
        recent = await self._call(
            "metaWeblog.getRecentPosts", t.blog_id, t.username, t.password, RECENT_POSTS_CAP
        )
        for struct in recent:
            if marker.search_key in str(struct.get("description", "")):
                return self._ref(struct)
        return None

    async def reserve(self, post: OutgoingPost) -> RemoteRef:
        t = self.target
        struct = {
            "title": post.title,
            "description": marker_html(post.marker, post.origin_url, post.attribution),
            "dateCreated": PLACEHOLDER_DATE,
            "categories": [],
        }
        try:
            post_id = await self._call(
                "metaWeblog.newPost", t.blog_id, t.username, t.password, struct, False
            )
        except (OutcomeUnknown, CredentialsRefused):
            raise
        except WriteError as error:
            raise OutcomeUnknown(
                t.endpoint, f"newPost failed, the post may exist: {error}"
            ) from error
        return RemoteRef(str(post_id))

    async def update(self, ref: RemoteRef, post: OutgoingPost) -> None:
        if post.categories:
            check_categories(self.target.endpoint, post.categories, await self.list_categories())
        when = post.published
        if when is None:
            current = await self._require(ref)
            when = current.published
        await self._edit(ref, post.title, post.marked_body(), when, post.categories,
                         post.status == "published", post.summary)  # fmt: skip
        held = await self._require(ref)
        if post.status == "published" and held.status != "published":
            raise PostRejected(
                self.target.endpoint,
                f"post {ref.id} was kept as a draft (the account's posts need approval)",
            )

    async def unpublish(self, ref: RemoteRef) -> None:
        held = await self._require(ref)
        if held.status == "draft":
            return
        await self._edit(
            ref, held.title, held.body_html, held.published, held.categories, False, ""
        )

    async def delete(self, ref: RemoteRef) -> None:
        t = self.target
        try:
            # the DNN Blog answers false even when it deleted the post: the result says nothing
            await self._call("blogger.deletePost", "", ref.id, t.username, t.password, False)
        except (CredentialsRefused, TargetUnavailable):
            raise
        except WriteError:
            pass  # judged below, by looking
        if await self.get(ref) is not None:
            raise PostRejected(t.endpoint, f"post {ref.id} is still there after deletePost")

    async def upload_media(self, ref: RemoteRef, media: Media) -> str:
        digest = sha256_hex(media.data)
        known = self._uploads.get((ref.id, digest))
        if known is not None:
            return known
        held = await self.get(ref)
        if held is not None:
            for url in _linked_urls(held.body_html):
                if self._on_site(url) and await self._hash_of(url) == digest:
                    self._uploads[(ref.id, digest)] = url
                    return url
        t = self.target
        name = media.filename or urlsplit(media.url).path.rsplit("/", 1)[-1] or "file"
        struct = {"name": name, "type": media.content_type, "bits": media.data}
        try:
            answer = await self._call("metaWeblog.newMediaObject", t.blog_id, t.username,
                                      t.password, struct)  # fmt: skip
        except OutcomeUnknown as error:
            # an orphaned temporary file is harmless: the upload is simply made again
            raise TargetUnavailable(t.endpoint, str(error)) from error
        except _Fault as error:
            raise PostRejected(t.endpoint, f"file {name} refused: {error}") from error
        url = urljoin(t.base_url + "/", str(answer.get("url", "")))
        self._uploads[(ref.id, digest)] = url
        self._hashes[url] = digest
        return url

    async def get(self, ref: RemoteRef) -> RemoteCopy | None:
        t = self.target
        try:
            struct = await self._call("metaWeblog.getPost", ref.id, t.username, t.password)
        except (CredentialsRefused, TargetUnavailable, OutcomeUnknown):
            raise
        except WriteError as error:
            if await self._missing(error):
                return None
            raise
        return self._copy(ref, struct)

    async def list_categories(self) -> tuple[str, ...]:
        t = self.target
        found = await self._call("metaWeblog.getCategories", t.blog_id, t.username, t.password)
        names = []
        for entry in found or []:
            name = entry.get("categoryName") or entry.get("title") or entry.get("description")
            if name:
                names.append(str(name))
        return tuple(names)

    # -- helpers -----------------------------------------------------------------------------

    async def _require(self, ref: RemoteRef) -> RemoteCopy:
        held = await self.get(ref)
        if held is None:
            raise CopyMissing(self.target.endpoint, f"post {ref.id} no longer exists")
        return held

    async def _edit(
        self,
        ref: RemoteRef,
        title: str,
        body: str,
        when: datetime | None,
        categories: tuple[str, ...],
        publish: bool,
        summary: str,
    ) -> None:
        t = self.target
        if when is None or when.replace(tzinfo=None) >= PLACEHOLDER_DATE:
            when = datetime.now(UTC)
        struct: dict[str, Any] = {
            "title": title,
            "description": body,
            "dateCreated": when.astimezone(t.timezone).replace(tzinfo=None),
            "categories": list(categories),
        }
        if summary:
            struct["mt_excerpt"] = summary
        try:
            await self._call("metaWeblog.editPost", ref.id, t.username, t.password, struct, publish)
        except (CredentialsRefused, TargetUnavailable):
            raise
        except WriteError as error:
            if await self.get(ref) is None:
                raise CopyMissing(t.endpoint, f"post {ref.id} no longer exists") from error
            raise PostRejected(t.endpoint, f"editPost refused post {ref.id}: {error}") from error

    async def _missing(self, error: WriteError) -> bool:
        """Whether a getPost fault means the post is gone: the same account must still be
        able to list posts (so the fault was about this post, not about the login)."""
        if isinstance(error, _Fault) and error.code == 404:
            return True
        t = self.target
        try:
            await self._call("metaWeblog.getRecentPosts", t.blog_id, t.username, t.password, 1)
        except WriteError:
            return False
        return True

    def _on_site(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.target.base_url).netloc

    async def _hash_of(self, url: str) -> str | None:
        known = self._hashes.get(url)
        if known is None:
            try:
                response = await self.http.get(url, allow_private=self.target.allow_private)
            except FetchError:
                return None
            known = self._hashes[url] = sha256_hex(response.body)
        return known

    def _ref(self, struct: dict[str, Any]) -> RemoteRef:
        link = struct.get("permaLink") or struct.get("permalink") or struct.get("link")
        return RemoteRef(str(struct.get("postid", "")), str(link) if link else None)

    def _copy(self, ref: RemoteRef, struct: dict[str, Any]) -> RemoteCopy:
        body = self._absolute(str(struct.get("description", "")))
        published = struct.get("date_created_gmt") or struct.get("pubDate")
        when = published.replace(tzinfo=UTC) if isinstance(published, datetime) else None
        if when is None and isinstance(struct.get("dateCreated"), datetime):
            when = struct["dateCreated"].replace(tzinfo=self.target.timezone).astimezone(UTC)
        status: PostStatus = "published" if _published(struct) else "draft"
        return RemoteCopy(
            ref=RemoteRef(ref.id, self._ref(struct).url or ref.url),
            title=str(struct.get("title", "")),
            body_html=body,
            status=status,
            published=when,
            categories=tuple(str(c) for c in struct.get("categories") or ()),
            marker=find_marker(body),
        )

    def _absolute(self, html: str) -> str:
        """Links as the target's own base URL spells them: relative ones resolved, and the
        ``http://{host}/`` getPost puts in front of relative images mapped back."""
        base = self.target.base_url.rstrip("/")
        host = urlsplit(base).hostname or ""
        mapping = {}
        for url in _linked_urls(html):
            if url.startswith("/") and not url.startswith("//"):
                mapping[url] = base + url
            elif url.startswith(f"http://{host}/") and not url.startswith(base + "/"):
                mapping[url] = base + url[len(f"http://{host}") :]
        return rewrite_media(html, mapping)

    async def _call(self, method: str, *params: Any) -> Any:
        t = self.target
        body = xmlrpc.client.dumps(params, methodname=method, encoding="utf-8").encode()
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        try:
            response = await self.http.send(
                "POST", t.endpoint, body, headers=headers, allow_private=t.allow_private
            )
        except (Timeout, ConnectionFailed) as error:
            if method in ("metaWeblog.newPost", "metaWeblog.newMediaObject"):
                raise OutcomeUnknown(t.endpoint, f"{method}: {error}") from error
            raise TargetUnavailable(t.endpoint, f"{method}: {error}") from error
        except FetchError as error:
            raise WriteError(t.endpoint, f"{method}: {error}") from error
        if response.status >= 500 or response.status == 429:
            raise TargetUnavailable(t.endpoint, f"{method}: HTTP {response.status}")
        if response.status != 200:
            raise WriteError(t.endpoint, f"{method}: HTTP {response.status}")
        try:
            result, _ = xmlrpc.client.loads(response.body, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            raise _fault(t.endpoint, method, fault) from None
        except Exception as error:  # expat and marshalling errors: the answer is not XML-RPC
            raise WriteError(t.endpoint, f"{method}: not an XML-RPC answer ({error})") from error
        return result[0] if result else None


class _Fault(WriteError):
    """An XML-RPC fault the writer still has to judge."""

    def __init__(self, target: str, code: int, message: str) -> None:
        self.code = code
        super().__init__(target, message)


def _fault(target: str, method: str, fault: xmlrpc.client.Fault) -> WriteError:
    text = " ".join(str(fault.faultString).split())
    if fault.faultCode in _REFUSED_CODES or any(s in text.lower() for s in _REFUSED_TEXTS):
        return CredentialsRefused(target, f"{method} refused: {text}")
    return _Fault(target, int(fault.faultCode), f"{method} failed: {text}")


def _published(struct: dict[str, Any]) -> bool:
    if "post_status" in struct:
        return str(struct["post_status"]) == "publish"
    return bool(struct.get("publish", True))


def _linked_urls(html: str) -> list[str]:
    root = parse_fragment(html)
    urls = [img.get("src") or "" for img in root.iter("img")]
    urls += [a.get("href") or "" for a in root.iter("a")]
    return [u.strip() for u in urls if u.strip()]
