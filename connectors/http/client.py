"""HttpClient: shared aiohttp sessions with conditional GET, retries, limits and the SSRF guard.

Every connector fetches through this class, so politeness, size caps and error types are the
same for every kind of site.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import aiohttp
from yarl import URL

from connectors.errors import (
    BadContentEncoding,
    ConnectionFailed,
    FetchError,
    HttpStatus,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from connectors.http.guard import NO_TRUST, GuardedResolver, Trust, check_host
from connectors.http.inflate import ACCEPT_ENCODING, InflateError, decoder_for
from connectors.http.policy import BLOCK, HttpPolicy
from connectors.http.retry_after import parse_retry_after
from connectors.http.validators import Validators, ValidatorStore

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Response:
    """A finished response. ``url`` is the final URL after redirects; ``not_modified`` is True
    for a 304 answer to a conditional GET (``body`` is then empty)."""

    status: int
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    not_modified: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("ETag"), self.headers.get("Last-Modified"))


class _HostSlot:
    """Per-host concurrency and a minimum gap between request starts."""

    def __init__(self, concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self.lock = asyncio.Lock()
        self.last_start = float("-inf")


class HttpClient:
    """Use as ``async with HttpClient(policy) as http:``; one instance serves every site.

    Requests a site's Trust allows go through a session that resolves freely; all others go
    through one whose resolver drops non-public answers. The client itself trusts nothing."""

    def __init__(self, policy: HttpPolicy | None = None) -> None:
        self.policy = policy or HttpPolicy()
        self._guarded: aiohttp.ClientSession | None = None
        self._trusted: aiohttp.ClientSession | None = None
        self._slots: dict[str, _SlotContext] = {}

    async def __aenter__(self) -> HttpClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._guarded is None:
            self._guarded = self._session(GuardedResolver())
            self._trusted = self._session(None)

    def _session(self, resolver: GuardedResolver | None) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=100, limit_per_host=self.policy.per_host, resolver=resolver
        )
        return aiohttp.ClientSession(
            connector=connector,
            # Fetches are stateless: no site's cookies leak into another's requests.
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            # Bodies are inflated by _read_body, where the size cap counts inflated bytes.
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=self.policy.connect_timeout,
                sock_read=self.policy.read_timeout,
            ),
        )

    async def close(self) -> None:
        for session in (self._guarded, self._trusted):
            if session is not None:
                await session.close()
        self._guarded = self._trusted = None

    async def get(
        self,
        url: str,
        *,
        validators: ValidatorStore | None = None,
        trust: Trust = NO_TRUST,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """GET with redirects, retries and the caps. Returns a 2xx Response, or one with
        ``not_modified`` for a 304 when ``validators`` held an ETag or Last-Modified for
        ``url``. Raises HttpStatus for any other final status, and the other FetchErrors.
        ``trust`` names the hosts that may resolve to non-public addresses (the site's own)."""
        sent = dict(headers or {})
        if validators is not None:
            known = await validators.get(url)
            if known is not None:
                if known.etag:
                    sent["If-None-Match"] = known.etag
                if known.last_modified:
                    sent["If-Modified-Since"] = known.last_modified
        response = await self._by_deadline(url, self._with_retries(url, sent, trust))
        if response.status == 304:
            return Response(304, response.url, response.headers, b"", not_modified=True)
        if validators is not None:
            fresh = response.validators
            if fresh.etag or fresh.last_modified:
                await validators.set(url, fresh)
        return response

    async def post_json(
        self,
        url: str,
        payload: object,
        *,
        trust: Trust = NO_TRUST,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One POST of a JSON body, no retries (it may not be idempotent), no redirects.
        Returns the Response whatever its status: callers such as logins read 401s."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        body = json.dumps(payload).encode()
        return await self._by_deadline(
            url, self._attempt("POST", url, sent, body, trust, follow=False)
        )

    async def _by_deadline(self, url: str, work: Coroutine[Any, Any, Response]) -> Response:
        deadline = self.policy.total_timeout
        try:
            async with asyncio.timeout(deadline):
                return await work
        except TimeoutError as error:
            raise Timeout(
                url, f"timed out: no answer within {deadline:g}s, retries included"
            ) from error

    async def _with_retries(self, url: str, headers: dict[str, str], trust: Trust) -> Response:
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.policy.total_timeout
        attempt = 1
        while True:
            try:
                return await self._checked(url, headers, trust)
            except FetchError as error:
                if attempt >= self.policy.attempts or not self._transient(error):
                    raise
                delay = self._delay(error, attempt)
                if loop.time() + delay >= ends:
                    raise  # no time left under the deadline: the real error says more
                await asyncio.sleep(delay)
                attempt += 1

    async def _checked(self, url: str, headers: dict[str, str], trust: Trust) -> Response:
        response = await self._attempt("GET", url, headers, None, trust, True)
        self._raise_for_status(url, response)
        return response

    def _raise_for_status(self, url: str, response: Response) -> None:
        if 200 <= response.status < 300 or response.status == 304:
            return
        retry_after = None
        if response.status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise HttpStatus(url, response.status, retry_after)

    def _transient(self, error: BaseException) -> bool:
        if isinstance(error, Timeout | ConnectionFailed):
            return True
        if isinstance(error, HttpStatus):
            if error.retry_after is not None:
                # Waiting is pointless when the server wants longer than we will give it.
                return error.retry_after <= self.policy.retry_after_cap
            return error.code >= 500 or error.code == 429
        return False

    def _delay(self, error: BaseException | None, failed_attempt: int) -> float:
        """Seconds to wait after attempt number ``failed_attempt`` failed with ``error``."""
        if isinstance(error, HttpStatus) and error.retry_after is not None:
            return min(error.retry_after, self.policy.retry_after_cap)
        ceiling = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (failed_attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads retries of many sites

    async def _attempt(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        trust: Trust,
        follow: bool,
    ) -> Response:
        try:
            return await self._follow(method, url, headers, body, trust, follow)
        except TimeoutError as error:
            raise Timeout(url, "timed out") from error
        except InflateError as error:
            raise BadContentEncoding(url, str(error)) from error
        except aiohttp.ClientPayloadError as error:
            raise ConnectionFailed(url, f"broken response body ({error})") from error
        except aiohttp.InvalidURL as error:
            raise FetchError(url, "invalid URL") from error
        except (aiohttp.ClientError, OSError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ConnectionFailed(url, message) from error

    async def _follow(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        trust: Trust,
        follow: bool,
    ) -> Response:
        if self._guarded is None or self._trusted is None:
            raise RuntimeError("HttpClient used before start()")
        current, seen = url, {url}
        for _hop in range(self.policy.max_redirects + 1):
            # one parse per hop, handed to aiohttp as is (it would parse a string again)
            try:
                target = URL(current)
                host, port = target.host, target.port
            except (ValueError, TypeError) as error:
                raise FetchError(url, f"invalid URL: {current}") from error
            if target.scheme not in ("http", "https") or not host:
                raise FetchError(url, f"not an http(s) URL: {current}")
            host = host.lower()
            port = port or (443 if target.scheme == "https" else 80)
            # every hop is judged afresh: a trusted origin may redirect anywhere
            if trust.allows(host, port):
                session = self._trusted
            else:
                await check_host(url, host, port)
                session = self._guarded
            async with (
                self._slot(f"{host}:{port}"),
                await self._answer(url, session, method, target, headers, body) as raw,
            ):
                location = raw.headers.get("Location")
                if follow and raw.status in _REDIRECTS and location:
                    current = urljoin(current, location)
                    if current in seen:
                        raise TooManyRedirects(url, f"redirect loop at {current}")
                    seen.add(current)
                    if raw.status == 303:
                        method, body = "GET", None
                    continue
                data = await self._read_body(url, raw)
                # raw.headers is already a read-only view that nothing changes once received
                return Response(raw.status, str(raw.url), raw.headers, data)
        raise TooManyRedirects(url, f"more than {self.policy.max_redirects} redirects")

    async def _answer(
        self,
        url: str,
        session: aiohttp.ClientSession,
        method: str,
        target: URL,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> aiohttp.ClientResponse:
        """Send the request and wait for the status line and headers, which must all come
        within connect_timeout + read_timeout: a server dripping its headers is cut there."""
        wait = self.policy.connect_timeout + self.policy.read_timeout
        scope = asyncio.timeout(wait)
        try:
            async with scope:
                return await session.request(
                    method, target, headers=headers, data=body, allow_redirects=False
                )
        except TimeoutError:
            if not scope.expired():
                raise  # aiohttp's own connect or socket timeout: reported as such
            raise Timeout(url, f"timed out: no complete headers in {wait:g}s") from None

    async def _read_body(self, url: str, raw: aiohttp.ClientResponse) -> bytes:
        """The body, inflated, block by block: the cap counts what is held after inflating
        (and the bytes as sent), so neither a bomb nor an endless body gets past it."""
        limit = self.policy.max_bytes
        if raw.content_length is not None and raw.content_length > limit:
            raise TooLarge(url, limit)
        decoder = decoder_for(raw.headers.get("Content-Encoding"))
        pieces: list[bytes] = []
        sent = held = 0
        while block := await self._next_block(url, raw.content):
            sent += len(block)
            if sent > limit:
                raise TooLarge(url, limit, held=held)
            for piece in decoder.feed(block, BLOCK):
                held += len(piece)
                if held > limit:
                    raise TooLarge(url, limit, held=held, inflated=decoder.inflates)
                pieces.append(piece)
                if decoder.inflates:
                    # one block sent can inflate to a thousand: let other sites run between
                    await asyncio.sleep(0)
        decoder.finish()
        return b"".join(pieces)

    async def _next_block(self, url: str, content: aiohttp.StreamReader) -> bytes:
        """Up to BLOCK bytes as sent, b"" at the end. They must come within read_timeout."""
        parts: list[bytes] = []
        size = 0
        wait = self.policy.read_timeout
        try:
            async with asyncio.timeout(wait):
                while size < BLOCK and (data := await content.read(BLOCK - size)):
                    parts.append(data)
                    size += len(data)
        except TimeoutError:
            raise Timeout(url, f"timed out: less than {BLOCK} bytes of body in {wait:g}s") from None
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _slot(self, host: str) -> _SlotContext:
        slot = self._slots.get(host)
        if slot is None:
            # the context holds no state of its own: one per host serves every request
            slot = self._slots[host] = _SlotContext(
                _HostSlot(self.policy.per_host), self.policy.politeness_delay
            )
        return slot


class _SlotContext:
    def __init__(self, slot: _HostSlot, delay: float) -> None:
        self.slot, self.delay = slot, delay

    async def __aenter__(self) -> None:
        await self.slot.semaphore.acquire()
        if self.delay > 0:
            async with self.slot.lock:
                gap = self.slot.last_start + self.delay - time.monotonic()
                if gap > 0:
                    await asyncio.sleep(gap)
                self.slot.last_start = time.monotonic()

    async def __aexit__(self, *_: object) -> None:
        self.slot.semaphore.release()
