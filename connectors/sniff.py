"""What a media file really is (pure): its type from the magic bytes, checked against what the
server declared and what the page referred to.

A hostile or broken site may answer an <img> with an HTML page (a login screen, an error page,
a page with scripts): stored as an image, it would travel into backups and web archives as a
"response" a replay tool renders. So a file is kept as media only when its bytes agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.model import MediaKind
from connectors.svg import sanitize_svg

HTML = "text/html"
SVG = "image/svg+xml"
# Declared types that say nothing about the content: the bytes decide alone.
_GENERIC = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/binary"})
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),  # after "RIFF" and a length
    (b"BM", 0, "image/bmp"),
    (b"\x00\x00\x01\x00", 0, "image/x-icon"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"ftypavif", 4, "image/avif"),
    (b"ftypheic", 4, "image/heic"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),  # also docx, xlsx, pptx, odt
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/x-ole-storage"),  # doc, xls, ppt
    (b"Rar!\x1a\x07", 0, "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed"),
    (b"{\\rtf", 0, "application/rtf"),
)
# WHATWG MIME sniffing's "HTML" patterns: any of these tags first (after whitespace) makes a
# browser render the body as a page.
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    rb"|!--)[\s>/]",
    re.IGNORECASE,
)
_SVG_START = re.compile(
    rb"(?:<\?xml[^>]*\?>|<!--.*?-->|<!doctype[^\[>]*(?:\[.*?\])?\s*>|\s)*<svg[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
_WHITESPACE_AND_BOM = b" \t\r\n\x0c\xef\xbb\xbf"
_SNIFF_BYTES = 1024


def sniff(data: bytes) -> str | None:
    """The media type the first bytes of ``data`` show, or None when they match nothing known."""
    for magic, offset, media_type in _MAGIC:
        if data.startswith(magic, offset):
            return media_type
    head = data[:_SNIFF_BYTES].lstrip(_WHITESPACE_AND_BOM)
    if _SVG_START.match(head):
        return SVG
    if _HTML_START.match(head):
        return HTML
    return None


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def media_problem(kind: MediaKind, content_type: str | None, data: bytes) -> str | None:
    """Why ``data`` served as ``content_type`` must not be stored as a ``kind``, or None.
    The reason is stable for the same response, so it can live in a revision's document."""
    declared = base_type(content_type)
    found = sniff(data)
    if found == HTML or declared in (HTML, "application/xhtml+xml"):
        return "an HTML page, not an image" if kind == "image" else "an HTML page, not a file"
    if kind != "image":
        return None
    if found is None or not found.startswith("image/"):
        return f"not an image (declared {declared or 'nothing'}, content {found or 'unknown'})"
    if declared not in _GENERIC and not declared.startswith("image/"):
        return f"not an image (declared {declared})"
    return None


@dataclass(frozen=True)
class CheckedMedia:
    """What to store for a fetched file: its bytes and type, or why it is not kept."""

    data: bytes = b""
    content_type: str = ""
    problem: str | None = None


def check_media(kind: MediaKind, content_type: str | None, data: bytes) -> CheckedMedia:
    """The file as it may be stored: refused when its bytes and declared type disagree with
    ``kind``; an SVG cleaned by connectors.svg (an SVG document can run script)."""
    problem = media_problem(kind, content_type, data)
    if problem is not None:
        return CheckedMedia(problem=problem)
    declared = base_type(content_type)
    found = sniff(data)
    if is_svg(content_type, data):
        cleaned = sanitize_svg(data)
        if cleaned is None:
            return CheckedMedia(problem="an SVG file that cannot be read")
        return CheckedMedia(cleaned, SVG)
    if declared in _GENERIC:
        return CheckedMedia(data, found or "application/octet-stream")
    return CheckedMedia(data, content_type or declared)


def inert(data: bytes, content_type: str | None) -> bytes | None:
    """Stored media as an export may hand them out: an SVG cleaned (again: files stored before
    the mirror cleaned SVG may still hold scripts), None when it cannot be read; other files
    as they are."""
    return sanitize_svg(data) if is_svg(content_type, data) else data


def is_svg(content_type: str | None, data: bytes) -> bool:
    """Declared or found to be SVG: then cleaning it means parsing it (worker-thread work)."""
    return SVG in (base_type(content_type), sniff(data))
