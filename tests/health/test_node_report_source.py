"""`gpufleet health --source node-report`: each node judged by the verdict its own timer wrote
(`/var/lib/gpufleet/health.json`), checked for shape and age. The recorded report is the one the
node checker wrote on a real H200 (tests/recorded/device)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.node_report import parse
from bootstrap.health.checks.self_report import judge_report
from infra.shapes import CATALOG
from tests.health.conftest import inventory
from tests.recorded.device import DEVICE

H200 = CATALOG["BM.GPU.H200.8"]
RECORDED = (DEVICE / "h200-vm.health.json").read_text()


def report(**changes: object) -> str:
    doc = json.loads(RECORDED)
    doc.update(changes)
    return json.dumps(doc)


def fresh(**changes: object) -> str:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return report(checked_at=now, **changes)


def test_the_real_node_report_parses() -> None:
    r = parse(RECORDED)
    assert (r.verdict, r.shape, len(r.errors), len(r.warnings)) == ("fail", H200.name, 12, 1)
    assert r.errors[0].check == "gpu-count" and r.warnings[0].check == "local-nvme"
    assert r.checked().tzinfo is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (RECORDED[: len(RECORDED) // 2], "not valid JSON"),
        (report(schema=2), "schema 1"),
        (report(verdict="ok"), "neither"),
        (report(verdict="pass"), "'pass' with errors"),
        (report(checked_at="yesterday"), "ISO 8601"),
        (report(errors=[{"check": "gpu-count"}]), "needs string"),
    ],
)
def test_anything_else_is_a_parse_error(text: str, reason: str) -> None:
    with pytest.raises(FactParseError, match=reason):
        parse(text)


def test_a_fresh_report_carries_the_nodes_own_findings() -> None:
    findings = judge_report(parse(fresh()), H200, max_age_s=900)
    assert [f.check for f in findings if f.severity.value == "error"][:2] == [
        "gpu-count", "fabric-manager"
    ]  # fmt: skip
    assert all("(node check at " in f.message for f in findings)
    assert not any(f.check == "node-report" for f in findings)


def test_a_stale_or_foreign_report_fails_the_node() -> None:
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    ok = fresh(verdict="pass", errors=[], warnings=[])
    assert judge_report(parse(ok), H200, max_age_s=900) == []
    stale = judge_report(parse(report(verdict="pass", errors=[], warnings=[], checked_at=old)),
                         H200, max_age_s=900)  # fmt: skip
    assert [f.check for f in stale] == ["node-report"]
    assert "60 min old" in stale[0].message and "timer is not running" in stale[0].message
    foreign = judge_report(parse(ok), CATALOG["BM.GPU.H100.8"], max_age_s=900)
    assert "checked itself as BM.GPU.H200.8, the inventory says BM.GPU.H100.8" in foreign[0].message


def run(tmp_path: Path, text: str, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    facts = tmp_path / "facts"
    (facts / "gpu-1").mkdir(parents=True)
    (facts / "gpu-1" / "node-report.txt").write_text(text)
    inv = inventory(tmp_path / "inventory.json", [("gpu-1", "train")])
    args = ["health", "--inventory", str(inv), "--facts-dir", str(facts),
            "--source", "node-report", "--json", *extra]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def test_cli_admits_a_node_whose_fresh_report_passes(tmp_path: Path) -> None:
    code, doc = run(tmp_path, fresh(verdict="pass", errors=[], warnings=[]))
    assert (
        code == 0
        and doc["nodes"][0]["status"] == "pass"
        and doc["params"]["source"] == "node-report"
    )


def test_cli_fails_the_recorded_report_with_its_checks_and_its_age(tmp_path: Path) -> None:
    code, doc = run(tmp_path, RECORDED)
    assert code == 1
    failing = doc["nodes"][0]["failing_checks"]
    assert failing[0] == "node-report" and "gpu-count" in failing and "nvlink:missing" in failing
    code, doc = run(tmp_path / "b", RECORDED, "--ignore-check", "node-report",
                    "--ignore-check", "all")  # fmt: skip
    assert code == 0
