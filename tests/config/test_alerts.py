"""The shipped alert rules: well formed, about metrics syncd exports, and firing when they
should (unit tests in alerts_test.yml, run by Prometheus's own promtool)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from syncd.metrics import Metrics
from tests.support.promtool import promtool

HERE = Path(__file__).resolve().parent
RULES = HERE.parents[1] / "config" / "alerts.yml"


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
    assert len({r["alert"] for r in rules}) == len(rules) >= 8
    exported = _exported()
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        used = set(re.findall(r"\bsyncd_[a-z_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, f"{rule['alert']}: unknown metrics {used - exported}"


def test_promtool_accepts_the_rules() -> None:
    done = subprocess.run(
        [str(promtool()), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 9 rules found" in done.stdout


def test_every_rule_is_unit_tested() -> None:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    tests = yaml.safe_load((HERE / "alerts_test.yml").read_text(encoding="utf-8"))
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")  # each rule is shown to fire, not only to stay quiet
    }
    assert tested == {rule["alert"] for group in doc["groups"] for rule in group["rules"]}


def test_rules_fire_as_their_unit_tests_say() -> None:
    done = subprocess.run(
        [str(promtool()), "test", "rules", "alerts_test.yml"],
        cwd=HERE, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
