"""Errors a remote site or a site's options can cause; each message is one line."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector error."""


class OptionsError(ConnectorError):
    """A site's connector options are invalid; the message names the option."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        super().__init__(f"{option}: {problem}")


class UnknownKind(ConnectorError):
    """No connector is registered under a kind name."""

    def __init__(self, kind: str, known: list[str]) -> None:
        self.kind = kind
        super().__init__(f"unknown connector kind {kind!r} (known: {', '.join(sorted(known))})")


class LoginFailed(ConnectorError):
    """The site refused the credentials or the renewal token."""


class FetchError(ConnectorError):
    """A request failed; ``url`` is the URL that was asked for."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{url}: {message}")


class Timeout(FetchError):
    """Connecting or reading took longer than the configured timeout."""


class TooLarge(FetchError):
    """The response body passed the size cap; reading was aborted. ``held`` is how many bytes
    of the body were in memory when it was (the cap and one inflated piece at most)."""

    def __init__(self, url: str, limit: int, *, held: int = 0, inflated: bool = False) -> None:
        self.limit, self.held, self.inflated = limit, held, inflated
        suffix = " after decompression" if inflated else ""
        super().__init__(url, f"body exceeds {limit} bytes{suffix}")


class BadContentEncoding(FetchError):
    """The body is not what its Content-Encoding says, or uses a coding we never asked for."""


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect loop."""


class InsecureLogin(ConnectorError):
    """Credentials would go over plain http and the site does not allow it."""


class Blocked(FetchError):
    """The host resolves to an address the site may not use (private, loopback, ...)."""


class ConnectionFailed(FetchError):
    """The connection could not be made or was reset."""


class HttpStatus(FetchError):
    """The server answered with an error status. ``retry_after`` is set (seconds) when the
    server asked us to come back later than we are willing to wait."""

    def __init__(self, url: str, code: int, retry_after: float | None = None) -> None:
        self.code = code
        self.retry_after = retry_after
        suffix = f" (retry after {retry_after:.0f}s)" if retry_after is not None else ""
        super().__init__(url, f"HTTP {code}{suffix}")


class ListingTooLarge(ConnectorError):
    """A site lists more than its limits allow (sitemap parts, URLs, bytes): the listing is
    abandoned, so nothing is deleted on that pass. ``setting`` names the limit to raise."""

    def __init__(self, url: str, problem: str, setting: str) -> None:
        self.url, self.setting = url, setting
        super().__init__(f"{url}: {problem}, past the site's {setting}")


class ParseError(ConnectorError):
    """A document could not be parsed at all (not even leniently)."""
