"""Normalising the keys and URLs that identify remote items (pure functions)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that track a visit rather than name a document.
_TRACKING = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid", "_ga", "ref", "spm"}
)


def normalize_key(key: str) -> str:
    """A stable identity for a source key: a URL, a GUID or an API id.

    URLs compare equal across http/https, host case, default ports, a trailing slash,
    fragments, parameter order and tracking parameters. Anything else is only trimmed.
    """
    key = key.strip()
    parts = urlsplit(key)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return key
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith("utm_")
    ]
    query.sort(key=lambda kv: (kv[0].lower(), kv[1]))
    return urlunsplit(("https", host, path, urlencode(query), ""))


# DNN's friendly URLs end in a slug made from the title: /tin-tuc/ArticleId/123/hop-ban-chi-dao.
# The number is the article's identity; the slug changes whenever an editor retitles it.
_DNN_SLUG = re.compile(r"(/(?:articleid|post|postid)/\d+)(?:/[^/?#]*)?$", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def dnn_key(url: str) -> str:
    """The source key of a DNN page: `normalize_key` with the path lower-cased (IIS ignores
    case) and without the title slug, so that a retitled article stays the same item.

    Cached: every pass keys each URL of every sitemap again, and normalising a URL costs
    more than a conditional GET's own bookkeeping (64k entries hold a large network)."""
    parts = urlsplit(normalize_key(url))
    if not parts.netloc:
        return url.strip()
    path = _DNN_SLUG.sub(r"\1", parts.path.lower(), count=1)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
