"""The web archive: valid WARC 1.1 records, the right URIs and dates, digests that verify."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import lxml.html
from warcio.archiveiterator import ArchiveIterator

from syncd.export import export_site, parse_as_of
from syncd.export.warc import warc_date
from syncd.store.store import Store
from tests.export.sample import AS_OF, PHRASE, TITLE_OLD, at, populate, url

WARCIO = Path(sys.executable).with_name("warcio")


def _warcio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WARCIO), *args], capture_output=True, text=True, check=False)


def _sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _read(path: Path) -> list[tuple[Any, bytes]]:
    records = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            records.append((record, record.content_stream().read()))
    return records


async def test_warc_export(store: Store, tmp_path: Path) -> None:
    sample = await populate(store, filler=2)
    out = tmp_path / "archive"
    result = await export_site(store, "konray", as_of=parse_as_of(AS_OF), fmt="warc", out=out)
    (path,) = list(out.iterdir())
    assert path.name == "konray-20260201235959.warc.gz"
    assert result.bytes == path.stat().st_size
    assert (result.articles, result.media, result.missing_media) == (len(sample.kept), 2, 1)
    records = _read(path)

    info, _ = records[0]
    assert info.rec_type == "warcinfo"
    assert info.rec_headers.protocol == "WARC/1.1"
    responses = {r.rec_headers.get_header("WARC-Target-URI"): (r, body) for r, body in records[1:]}
    assert all(r.rec_type == "response" for r, _ in records[1:])
    assert set(responses) == set(sample.kept) | set(sample.media)

    for uri, (record, payload) in responses.items():
        assert record.rec_headers.protocol == "WARC/1.1"
        assert record.http_headers.get_statuscode() == "200"
        assert record.http_headers.protocol == "HTTP/1.1"
        assert record.rec_headers.get_header("WARC-Payload-Digest") == _sha1(payload), uri
        assert int(record.http_headers.get_header("Content-Length")) == len(payload)
        if uri in sample.media:
            assert payload == sample.media[uri]  # byte-exact
        else:
            assert record.http_headers.get_header("Content-Type") == "text/html; charset=utf-8"
            page = lxml.html.fromstring(payload)
            assert page.findtext(".//h1") == sample.kept[uri]

    meeting, page = responses[url(1, "hoi-nghi-tong-ket")]
    assert meeting.rec_headers.get_header("WARC-Date") == warc_date(at("2026-01-10"))
    text = page.decode("utf-8")
    assert TITLE_OLD in text and PHRASE in text
    image, _ = responses["https://konray.example/Portals/0/Images/2026/hoi-nghi.png"]
    assert image.http_headers.get_header("Content-Type") == "image/png"


async def test_warc_passes_warcio_check_and_index(store: Store, tmp_path: Path) -> None:
    await populate(store, filler=1)
    out = tmp_path / "archive"
    await export_site(store, "konray", as_of=None, fmt="warc", out=out)
    (path,) = list(out.iterdir())
    check = await asyncio.to_thread(_warcio, "check", "-v", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    assert "fail" not in check.stdout.replace("digest pass", "")
    index = await asyncio.to_thread(
        _warcio, "index", "-f", "warc-type,warc-target-uri,http:status", str(path)
    )
    assert index.returncode == 0, index.stderr
    lines = index.stdout.splitlines()
    assert '"warc-type": "warcinfo"' in lines[0]
    assert sum('"http:status": "200"' in line for line in lines) == len(lines) - 1 >= 4
