"""The shipped alert rules are well formed and speak only of metrics syncd exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from syncd.metrics import Metrics

RULES = Path(__file__).resolve().parents[2] / "config" / "alerts.yml"


def _exported() -> set[str]:
    names: set[str] = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        if family.type == "counter":  # labelled counters have no samples until first use
            names.add(family.name + "_total")
        names |= {sample.name for sample in family.samples}
    return names


def test_rules_parse_and_use_exported_metrics() -> None:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    rules = [rule for group in doc["groups"] for rule in group["rules"]]
    assert len({r["alert"] for r in rules}) == len(rules) >= 6
    exported = _exported()
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        used = set(re.findall(r"\bsyncd_[a-z_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, f"{rule['alert']}: unknown metrics {used - exported}"
