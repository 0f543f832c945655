"""What a user can get wrong when exporting a site; each is one line for the CLI."""

from __future__ import annotations

from pathlib import Path

from syncd.errors import SyncdError


class ExportError(SyncdError):
    """An export could not be made as asked."""


class BadDate(ExportError):
    """--as-of is not a date or date and time."""

    exit_code = 2

    def __init__(self, text: str) -> None:
        super().__init__(
            f"--as-of {text!r} is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM[:SS])"
        )


class OutputNotEmpty(ExportError):
    """The output folder already holds something; an export never mixes with old files."""

    def __init__(self, path: Path, problem: str = "exists and is not empty") -> None:
        super().__init__(f"output {path} {problem}")
