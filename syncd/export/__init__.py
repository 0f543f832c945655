"""Exporting one mirrored site from the store, as of a moment: a static copy or a WARC.

    result = await export_site(store, "konray", as_of=None, fmt="static", out=Path("out"))

`out` must not exist or be empty; the export appears there complete or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from syncd.export.asof import as_of_or_now, parse_as_of
from syncd.export.atomic import check_output, staging, tree_size
from syncd.export.errors import BadDate, ExportError, OutputNotEmpty
from syncd.export.select import select_revisions, site_info
from syncd.export.static import write_static
from syncd.export.warc import write_warc
from syncd.store.store import Store, utcnow

Format = Literal["static", "warc"]

__all__ = [
    "BadDate",
    "ExportError",
    "ExportResult",
    "Format",
    "OutputNotEmpty",
    "check_output",
    "export_site",
    "parse_as_of",
]


@dataclass(frozen=True)
class ExportResult:
    site_key: str
    fmt: Format
    out: Path
    as_of: datetime  # UTC
    articles: int
    media: int  # files written (each once)
    bytes: int  # total size of what was written
    missing_media: int  # media the documents name but the store does not hold


async def export_site(
    store: Store,
    site_key: str,
    *,
    as_of: datetime | None,
    fmt: Format,
    out: Path,
    site_name: str | None = None,
) -> ExportResult:
    """`site_name` titles the pages (the unit's name from the configuration); without it the
    unit's name in the store, or the site's key, is used."""
    if fmt not in ("static", "warc"):
        raise ExportError(f"unknown export format {fmt!r} (static or warc)")
    moment = as_of_or_now(as_of, utcnow())
    check_output(out)
    site = await site_info(store, site_key)
    if site_name:
        site = replace(site, name=site_name)
    revisions = await select_revisions(store, site.id, moment)
    writer = write_static if fmt == "static" else write_warc
    with staging(out) as temp:
        counts = await writer(store, site, revisions, moment, temp)
        size = tree_size(temp)
    return ExportResult(
        site.key,
        fmt,
        out,
        moment,
        counts.articles,
        counts.media,
        size,
        counts.missing_media,
    )
