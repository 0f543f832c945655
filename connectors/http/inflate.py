"""Content-Encoding decoders that produce about one block per step, never more (pure).

aiohttp's own decompression is switched off: the client reads the bytes as sent and inflates
them here, so the size cap counts inflated bytes and a bomb stops at the cap, whatever the
aiohttp version does with its buffers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli


class InflateError(ValueError):
    """The body does not decode with its Content-Encoding."""


#: What the client asks for: exactly the codings decoded below.
ACCEPT_ENCODING = "gzip, deflate, br"
_GZIP_MAGIC = b"\x1f\x8b"


class Decoder(Protocol):
    inflates: bool  # False for identity: the bytes held are the bytes sent

    def feed(self, data: bytes, block: int) -> Iterator[bytes]:
        """Inflate ``data``, yielding pieces of about ``block`` bytes (zlib's never more)."""
        ...

    def finish(self) -> None:
        """Called at the end of the body: raises when the stream was cut short."""
        ...


class _Identity:
    inflates = False

    def feed(self, data: bytes, block: int) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> None:
        return None


class _Zlib:
    """gzip (concatenated members too) and deflate (zlib-wrapped, or raw as IIS sends it)."""

    inflates = True

    def __init__(self, gzip: bool) -> None:
        self.gzip = gzip
        self.inner: zlib._Decompress | None = None
        self.head = b""  # deflate's first byte, when it came alone: the header needs two

    def _start(self, first: bytes) -> zlib._Decompress:
        if self.gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # RFC 1950 header: compression method 8, and the first two bytes a multiple of 31
        zlib_header = first[0] & 0x0F == 8 and int.from_bytes(first[:2], "big") % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)

    def feed(self, data: bytes, block: int) -> Iterator[bytes]:
        pending = self.head + data
        if self.inner is None and not self.gzip and len(pending) < 2:
            self.head = pending
            return
        self.head = b""
        while pending or self.inner is not None:
            if self.inner is None:
                self.inner = self._start(pending)
            try:
                piece = self.inner.decompress(pending, block)
            except zlib.error as error:
                raise InflateError(f"broken {self._name} body ({error})") from None
            if piece:
                yield piece
            if self.inner.eof:
                # another gzip member may follow; anything after a deflate stream is ignored
                pending = self.inner.unused_data if self.gzip else b""
                if not pending.startswith(_GZIP_MAGIC):
                    return  # trailing padding some servers add is ignored, as browsers do
                self.inner = None
                continue
            pending = self.inner.unconsumed_tail
            # a full block may leave output inside zlib even when all input was taken
            if not pending and len(piece) < block:
                return

    def finish(self) -> None:
        if self.head or (self.inner is not None and not self.inner.eof):
            raise InflateError(f"{self._name} body cut short")

    @property
    def _name(self) -> str:
        return "gzip" if self.gzip else "deflate"


class _Brotli:
    inflates = True

    def __init__(self) -> None:
        self.inner = brotli.Decompressor()

    def feed(self, data: bytes, block: int) -> Iterator[bytes]:
        try:
            piece: bytes = self.inner.process(data, output_buffer_limit=block)
            if piece:
                yield piece
            # A piece that reached the limit may leave more output inside; the decoder also
            # wants empty input until it can take more. (Its pieces grow past the limit in
            # steps, so one may be up to about twice the block.)
            while not self.inner.is_finished() and (
                len(piece) >= block or not self.inner.can_accept_more_data()
            ):
                piece = self.inner.process(b"", output_buffer_limit=block)
                if piece:
                    yield piece
        except brotli.error as error:
            raise InflateError(f"broken br body ({error})") from None

    def finish(self) -> None:
        if not self.inner.is_finished():
            raise InflateError("br body cut short")


def decoder_for(content_encoding: str | None) -> Decoder:
    """The decoder for a Content-Encoding header; raises InflateError for codings
    that were not asked for (stacked codings included)."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("", "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    if coding == "br":
        return _Brotli()
    raise InflateError(f"unsupported Content-Encoding {content_encoding!r}")
