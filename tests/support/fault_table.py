"""Print the fault matrix as a Markdown table from what its cells recorded.

    SYNCD_FAULT_MATRIX_LOG=/tmp/matrix.jsonl pytest tests/backup/test_fault_matrix.py
    python -m tests.support.fault_table /tmp/matrix.jsonl

Each cell appends one JSON line (tests/backup/test_fault_matrix.py, `Outcome`); a cell that
failed carries the first line of its failed assertion in `notes`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

_HEADER = (
    "| target | kind | fault | verify (mode: exit, first line) | restore latest "
    "| --fallback | backup run, prune x2 | cell |"
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "; ") or "-"


def row(outcome: dict[str, Any]) -> str:
    notes = outcome.get("notes") or []
    verdict = f"FAIL: {notes[0]}" if notes else "pass"
    repair = ""
    if outcome.get("init") or outcome.get("repair"):
        repair = f"init {outcome['init'] or '-'}; repair {outcome['repair'] or '-'}; "
    after = " / ".join(x for x in (outcome["backup"], outcome["prune"], outcome["after"]) if x)
    fields = (
        outcome["target"],
        outcome["kind"],
        outcome["fault"],
        f"{outcome['mode']}: {outcome['verify']}",
        f"{repair}{outcome['restore']} (expected {outcome['expected_lost']})"
        if outcome["restore"]
        else repair,
        outcome["fallback"],
        after,
        verdict,
    )
    return "| " + " | ".join(_cell(f) for f in fields) + " |"


def table(lines: list[str]) -> str:
    outcomes = [json.loads(line) for line in lines if line.strip()]
    separator = "|" + "---|" * _HEADER.count(" |")
    return "\n".join([_HEADER, separator, *(row(o) for o in outcomes)])


def main() -> None:
    print(table(Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()))


if __name__ == "__main__":
    main()
