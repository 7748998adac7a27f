"""`gpufleet plan` / `validate` from the outside: determinism, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bootstrap.cli import cli
from tests.infra.conftest import EXAMPLE, ROOT


def test_plan_json_is_byte_identical_across_runs_and_processes() -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["plan", "--json"])
    second = runner.invoke(cli, ["plan", "--json", "--stack-config", str(EXAMPLE)])
    assert first.exit_code == 0, first.stdout
    assert first.stdout == second.stdout
    other_process = subprocess.run(
        [sys.executable, "-m", "bootstrap", "plan", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert other_process.stdout == first.stdout


def test_plan_json_manifest_shape() -> None:
    result = CliRunner().invoke(cli, ["plan", "--json"])
    doc: dict[str, Any] = json.loads(result.stdout)
    assert set(doc) == {"resources", "summary"}
    for res in doc["resources"]:
        assert {"type", "name", "parent", "inputs", "protect"} <= set(res)
    summary = doc["summary"]
    assert summary["total_gpus"] == 16
    assert summary["total_usd_per_hour"] == 160.0  # 2 nodes x $80/node-hour (SkyPilot catalog)
    assert summary["total_kw"] == 20.4  # 2 x 10.2 kW (DGX H100 reference)
    (pool,) = summary["pools"]
    assert {k: pool[k] for k in ("name", "shape", "nodes", "gpus")} == {
        "name": "h100",
        "shape": "BM.GPU.H100.8",
        "nodes": 2,
        "gpus": 16,
    }


def test_plan_human_output_shows_tree_and_capacity() -> None:
    result = CliRunner().invoke(cli, ["plan"])
    assert result.exit_code == 0
    assert "dev-h100-cn ClusterNetwork size=2 protected" in result.stdout
    assert "Capacity" in result.stdout and "160.00" in result.stdout


def test_unknown_price_is_null_not_a_guess(write_stack: Any) -> None:
    import yaml

    doc = yaml.safe_load(EXAMPLE.read_text())["config"]
    pool = {**doc["gpufleet:pools"][0], "shape": "BM.GPU.L40S.4"}
    path = write_stack({"gpufleet:pools": [pool]})
    summary = json.loads(
        CliRunner().invoke(cli, ["plan", "--json", "--stack-config", str(path)]).stdout
    )["summary"]
    assert summary["total_kw"] is None  # no public power figure for L40S
    assert summary["pools"][0]["usd_per_hour"] == 28.0


def test_bad_config_exits_2_with_every_problem_and_no_traceback(write_stack: Any) -> None:
    path = write_stack({"gpufleet:vcn_cidr": "10.0.0.1/16", "gpufleet:admin_cidrs": []})
    for args in (["plan"], ["plan", "--json"], ["validate"]):
        proc = subprocess.run(
            [sys.executable, "-m", "bootstrap", *args, "--stack-config", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert "Traceback" not in proc.stderr
        assert "2 problems found, nothing was deployed" in proc.stderr
        assert "gpufleet:vcn_cidr = '10.0.0.1/16'" in proc.stderr
        assert "gpufleet:admin_cidrs = []" in proc.stderr


def test_validate_ok() -> None:
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0
    assert "ok (1 pool(s), 2 nodes)" in result.stdout


def test_help_is_instant_and_imports_no_pulumi() -> None:
    code = (
        "import sys, bootstrap.cli as c; sys.argv=['gpufleet','--help']\n"
        "try: c.main()\nexcept SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pulumi','pulumi_oci','pydantic','rich','paramiko')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "Commands:" in proc.stdout
    assert proc.stdout.strip().endswith("[]")


def test_nonexistent_stack_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", "--stack-config", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2


def test_plan_runs_the_policies_and_fails_on_a_mandatory_violation(write_stack: Any) -> None:
    import yaml

    software = yaml.safe_load(EXAMPLE.read_text())["config"]["gpufleet:software"]
    path = write_stack({"gpufleet:software": {**software, "driver": "535.104.05"}})
    result = CliRunner().invoke(cli, ["plan", "--json", "--stack-config", str(path)])
    assert result.exit_code == 1
    assert "policy: [mandatory] software-compatible: software: driver 535.104.05" in result.stderr
    clean = CliRunner().invoke(cli, ["plan"])
    assert clean.exit_code == 0 and "policy:" not in clean.stdout


def test_plan_shows_power_against_the_budget(write_stack: Any) -> None:
    result = CliRunner().invoke(
        cli, ["plan", "--stack-config", str(write_stack({"gpufleet:power_budget_kw": 40}))]
    )
    assert result.exit_code == 0
    assert "power: 20.4 kW of the 40.0 kW budget (51%)" in result.stdout
