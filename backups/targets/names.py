"""The one rule every target applies to object names, so a repository is portable between
a folder and a bucket: relative, slash-separated, no empty, "." or ".." parts."""

from __future__ import annotations


def check_name(name: str) -> None:
    """Raise ValueError for a name that would mean different things on different targets."""
    if not name or name.startswith("/") or name.endswith("/"):
        raise ValueError(f"bad object name {name!r}: must be relative and name an object")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"bad object name {name!r}: empty, '.' or '..' part")
    if "\\" in name or "\x00" in name:
        raise ValueError(f"bad object name {name!r}: backslash or NUL")
