"""Print the fault matrix as a Markdown table from what its cells recorded.

    SYNCD_FAULT_MATRIX_LOG=/tmp/matrix.jsonl pytest tests/backup/test_fault_matrix.py
    python -m tests.support.fault_table /tmp/matrix.jsonl

Each cell appends one JSON line (tests/backup/test_fault_matrix.py, `Outcome`); a cell that
failed carries the first line of its failed assertion in `notes`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_HEADER = (
    "| target | kind | fault | verify (mode: exit, first line) | restore latest "
    "| --fallback | next backup run, prune x2 | afterwards | cell |"
)


_HEX = re.compile(r"\b([0-9a-f]{8})[0-9a-f]{8,}\b")
_TMP = re.compile(r"/tmp/\S*?/(nas|second)\b")


def _short(text: str, limit: int = 110) -> str:
    text = _TMP.sub(r"\1", _HEX.sub(r"\1…", text))
    text = text.replace("|", "\\|").replace("\n", "; ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _exit(step: str) -> str:
    return step.split(":", 1)[0] if step else "not reached"


def _backup(outcome: dict[str, Any]) -> str:
    if not outcome["backup"]:
        return "not reached"
    found = re.search(r"(\d+) of (\d+) blobs", outcome["backup"])
    uploaded = f", {found[1]} of {found[2]} blobs uploaded" if found else ""
    prune = f"; prune {_exit(outcome['prune'])}" if outcome["prune"] else ""
    return f"{_exit(outcome['backup'])}{uploaded}{prune}"


def row(outcome: dict[str, Any]) -> str:
    notes = outcome.get("notes") or []
    verdict = f"**fails**: {_short(notes[0], 160)}" if notes else "pass"
    restore = "not reached"
    if outcome["restore"]:
        restore = f"{_short(outcome['restore'])} (expected {outcome['expected_lost']})"
    if outcome.get("repair"):
        restore = f"init {_exit(outcome['init'])}, repair {_exit(outcome['repair'])}; {restore}"
    fields = (
        outcome["target"],
        outcome["kind"],
        outcome["fault"],
        f"{outcome['mode']}: {_short(outcome['verify'])}",
        restore,
        _exit(outcome["fallback"]),
        _backup(outcome),
        _short(outcome["after"]) if outcome["after"] else "-",
        verdict,
    )
    return "| " + " | ".join(fields) + " |"


def table(lines: list[str]) -> str:
    outcomes = [json.loads(line) for line in lines if line.strip()]
    separator = "|" + "---|" * _HEADER.count(" |")
    return "\n".join([_HEADER, separator, *(row(o) for o in outcomes)])


def main() -> None:
    print(table(Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()))


if __name__ == "__main__":
    main()
