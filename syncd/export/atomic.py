"""Making an export appear all at once: build it in a hidden sibling folder, then rename.

A failed or interrupted export leaves the output path as it was; a finished one replaces an
empty output folder in one rename, so a web server pointed at it never serves half a site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syncd.export.errors import OutputNotEmpty


def check_output(out: Path) -> None:
    if out.is_dir():
        if any(out.iterdir()):
            raise OutputNotEmpty(out)
    elif out.exists():
        raise OutputNotEmpty(out, "exists and is not a folder")


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A fresh folder to write into; renamed to `out` when the block ends without error."""
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        yield temp
        # mkdtemp makes the folder private; a copy meant to be served must be readable
        temp.chmod(0o755)
        try:
            # rename(2) replaces an empty folder and refuses a non-empty one
            os.rename(temp, out)
        except OSError as exc:
            raise OutputNotEmpty(out, "was filled by something else during the export") from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
