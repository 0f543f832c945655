"""Checks of the addresses a configuration names: site and endpoint URLs, relative feed paths,
host names, host:port pairs and store URLs. Each raises ValueError with a one-line reason, so
the loader can prefix the key path; nothing here touches the network."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
STORE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
# near misses of the two drivers syncd ships with, and what to write instead
_STORE_HINTS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgres+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}


def _refuse_blanks(value: str) -> None:
    for char in value:
        if char.isspace() or ord(char) < 32 or ord(char) == 127:
            what = "a space" if char == " " else f"the control character {char!r}"
            raise ValueError(f"contains {what} (write it as %20 or remove it), got {value!r}")


def check_host(host: str) -> str:
    """A DNS name, an IPv4 address or an IPv6 address (without brackets)."""
    if not host:
        raise ValueError("the host is empty")
    if ":" in host or host.replace(".", "").isdigit():
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not a valid IP address") from None
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{host!r} is not a valid host name") from None
    if len(ascii_host) > 253 or not all(_LABEL.match(p) for p in ascii_host.rstrip(".").split(".")):
        raise ValueError(f"{host!r} is not a valid host name")
    return host


def _split(value: str) -> SplitResult:
    _refuse_blanks(value)
    try:
        return urlsplit(value)
    except ValueError as exc:  # an unclosed '[' of an IPv6 host, for one
        raise ValueError(f"not a valid URL ({exc}), got {value!r}") from None


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a valid host and, if given, a port in 1-65535."""
    parts = _split(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL such as 'https://example.vn', got {value!r}")
    if parts.hostname is None:
        raise ValueError(f"the URL has no host, got {value!r}")
    try:
        check_host(parts.hostname)
    except ValueError as exc:
        raise ValueError(f"{exc}, in {value!r}") from None
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = 0
    if port == 0 and _written_port(parts.netloc):
        raise ValueError(f"the port must be a number from 1 to 65535, got {value!r}")
    return value


def _written_port(netloc: str) -> bool:
    host_port = netloc.rpartition("@")[2]
    return ":" in host_port.rpartition("]")[2] if host_port.startswith("[") else ":" in host_port


def check_url_or_path(value: str) -> str:
    """An absolute http(s) URL, or a path (with a query) relative to the site's base_url."""
    parts = _split(value)
    if parts.scheme or parts.netloc:
        return check_http_url(value)
    return value


def split_listen(value: str) -> tuple[str, int]:
    """'host:port' or '[v6]:port' as (host, port); port 0 asks for any free port."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port such as '127.0.0.1:8470', got {value!r}")
    try:
        check_host(host)
    except ValueError as exc:
        raise ValueError(f"{exc}, in {value!r}") from None
    return host, int(port)


def check_store_url(value: str) -> str:
    """A SQLAlchemy URL for one of the drivers syncd ships with, with a hint for near misses.
    The URL may hold a password, so messages name its scheme, never the URL."""
    scheme, sep, _ = value.partition("://")
    scheme = scheme.lower()
    if sep and scheme in _STORE_HINTS:
        raise ValueError(f"syncd needs {_STORE_HINTS[scheme]}:// instead of {scheme}://")
    if not sep or scheme not in STORE_SCHEMES:
        raise ValueError(
            "expected postgresql+asyncpg://user@host/db or sqlite+aiosqlite:////path/syncd.db"
        )
    if any(char.isspace() for char in value):
        raise ValueError("the URL contains a space")
    # imported here: SQLAlchemy is not needed by commands that never open the store
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
        port = url.port
    except (ArgumentError, ValueError):
        raise ValueError(f"not a valid {scheme}:// URL") from None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"the port must be a number from 1 to 65535, got {port}")
    if scheme == "postgresql+asyncpg" and url.host:
        check_host(url.host.strip("[]"))
    if scheme == "sqlite+aiosqlite" and not url.database:
        raise ValueError("name the database file: sqlite+aiosqlite:////path/syncd.db")
    return value
