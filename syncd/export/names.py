"""File names inside an export (pure): article slugs, media files, category and month paths.

Every name is plain ASCII, so the copy works from any web server, any file system and file://
without percent-encoding surprises.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

# A fixed table first: mimetypes depends on the machine's /etc/mime.types and may answer
# ".jpe" for JPEG, which some web servers would not serve as an image.
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "image/bmp": ".bmp",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/zip": ".zip",
    "application/x-rar-compressed": ".rar",
    "application/vnd.rar": ".rar",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "application/rtf": ".rtf",
}
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")
# script endpoints that serve files (DNN's LinkClick.aspx) say nothing about the file's type
_SCRIPT_EXTENSIONS = frozenset({".aspx", ".ashx", ".asp", ".axd", ".php", ".jsp", ".cgi"})


def slugify(text: str, limit: int = 60) -> str:
    """ASCII words of a Vietnamese title: "Hội nghị Đảng bộ" -> "hoi-nghi-dang-bo"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] or slug[:limit]
    return slug


def article_path(item_id: int, title: str | None) -> str:
    slug = slugify(title or "")
    return f"articles/{item_id}-{slug}.html" if slug else f"articles/{item_id}.html"


def _extension_of(name: str | None) -> str | None:
    if not name:
        return None
    extension = posixpath.splitext(name.lower())[1]
    if extension in _SCRIPT_EXTENSIONS or not _SAFE_EXTENSION.match(extension):
        return None
    return extension


def media_extension(content_type: str | None, filename: str | None, url: str) -> str:
    """The type the server declared wins unless it is generic; then the file's own name."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in _GENERIC_TYPES:
        known = _EXTENSIONS.get(kind) or _extension_of(mimetypes.guess_extension(kind))
        if known:
            return known
    return _extension_of(filename) or _extension_of(unquote(urlsplit(url).path)) or ".bin"


def media_path(sha: str, content_type: str | None, filename: str | None, url: str) -> str:
    return f"media/{sha}{media_extension(content_type, filename, url)}"


def category_path(name: str, page: int = 1) -> str:
    slug = slugify(name) or "khac"
    return f"categories/{slug}.html" if page == 1 else f"categories/{slug}-{page}.html"


def month_path(year: int, month: int, page: int = 1) -> str:
    name = "index.html" if page == 1 else f"page-{page}.html"
    return f"{year:04d}/{month:02d}/{name}"


def index_path(page: int = 1) -> str:
    return "index.html" if page == 1 else f"index-{page}.html"


def relative(from_page: str, target: str) -> str:
    """`target` (a path from the export's root) as seen from the page at `from_page`."""
    start = posixpath.dirname(from_page) or "."
    return posixpath.relpath(target, start)
