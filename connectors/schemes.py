"""Which URLs a mirrored item may carry as links (pure): http(s) only.

A feed's <link>, a page's canonical or an enclosure can name any scheme; a `javascript:` URL
rendered as a link runs script when clicked. Browsers drop tabs and newlines anywhere in a URL
and controls or spaces around it before reading the scheme, so the check does the same.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_IGNORED_INSIDE = str.maketrans("", "", "\t\n\r")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
WEB_SCHEMES = frozenset({"http", "https"})


def url_scheme(url: str) -> str | None:
    """The scheme a browser would read in ``url`` (lower case); None for a relative URL."""
    cleaned = url.strip(_C0_OR_SPACE).translate(_IGNORED_INSIDE)
    found = _SCHEME.match(cleaned)
    return found.group(1).lower() if found else None


def is_web_url(url: str | None) -> bool:
    """An absolute http(s) URL: the only kind an item may be fetched from or link to."""
    if not url or url_scheme(url) not in WEB_SCHEMES:
        return False
    try:
        return bool(urlsplit(url.strip()).hostname)
    except ValueError:  # a malformed authority, e.g. "http://[::1"
        return False


def is_safe_href(href: str) -> bool:
    """A link an exported page may carry: http(s), or relative (a path inside the export)."""
    scheme = url_scheme(href)
    return scheme is None or scheme in WEB_SCHEMES
