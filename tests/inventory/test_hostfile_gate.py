"""No node joins a hostfile unchecked: without a health report, `gpufleet inventory --hostfile`
and `gpufleet topology` refuse (exit 2, nothing written) unless --allow-unchecked; an Ansible
inventory, which bootstraps nodes before any check, is still written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bootstrap.cli import cli
from tests.inventory.test_exports_quarantine import _outputs
from tests.topology.test_spares import fleet


def inventory(tmp_path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [
        "inventory", "--from-stack-output", str(_outputs(tmp_path)),
        "--out", str(tmp_path / "inv.json"), *extra,
    ])  # fmt: skip
    return result.exit_code, result.stderr


def test_hostfile_without_a_health_report_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    code, err = inventory(tmp_path, "--hostfile", str(tmp_path / "hostfile"),
                          "--ansible", str(tmp_path / "hosts.yaml"))  # fmt: skip
    assert code == 2
    assert f"no health report at {tmp_path / 'health.json'}" in err
    assert "Run `gpufleet health` first" in err and "--allow-unchecked" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs.json"]


def test_ansible_alone_needs_no_health_report(tmp_path: Path) -> None:
    code, err = inventory(tmp_path, "--ansible", str(tmp_path / "hosts.yaml"))
    assert code == 0, err
    assert "counts as passing" in err and (tmp_path / "hosts.yaml").exists()


def test_a_health_report_admits_only_its_passing_nodes(tmp_path: Path) -> None:
    report = {"nodes": [{"node": "h100-0001", "status": "pass"},
                        {"node": "h100-0002", "status": "fail"},
                        {"node": "h100-0003", "status": "pass"}]}  # fmt: skip
    (tmp_path / "health.json").write_text(json.dumps(report))
    code, err = inventory(tmp_path, "--hostfile", str(tmp_path / "hostfile"))
    assert code == 0, err
    # h100-0004 was never checked and infer-0001 neither: left out like the failed node
    assert (tmp_path / "hostfile").read_text().split() == ["10.0.1.1", "10.0.1.3"]


def test_topology_refuses_without_a_report_in_both_modes(tmp_path: Path) -> None:
    inv = fleet(tmp_path)
    for args in (["--inventory", str(inv)], []):
        result = CliRunner().invoke(cli, [
            "topology", "--facts-dir", str(tmp_path / "facts"), *args,
            "--hostfile", str(tmp_path / "hostfile"),
        ])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "--allow-unchecked" in result.stderr
        assert not (tmp_path / "hostfile").exists()


def test_topology_without_inventory_takes_the_passing_nodes_of_a_named_report(
    tmp_path: Path,
) -> None:
    fleet(tmp_path)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"nodes": [{"node": "h100-0001", "status": "pass"},
                                            {"node": "h100-0003", "status": "pass"}]}))  # fmt: skip
    result = CliRunner().invoke(cli, [
        "topology", "--facts-dir", str(tmp_path / "facts"), "--health", str(report),
        "--hostfile", str(tmp_path / "hostfile"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted((tmp_path / "hostfile").read_text().split()) == ["h100-0001", "h100-0003"]


def _report_at(tmp_path: Path, when: datetime) -> None:
    doc = {"checked_at": when.isoformat(timespec="seconds"),
           "nodes": [{"node": "h100-0001", "status": "pass"}]}  # fmt: skip
    (tmp_path / "health.json").write_text(json.dumps(doc))


def test_the_report_age_is_shown_and_a_day_old_report_warns(tmp_path: Path) -> None:
    _report_at(tmp_path, datetime.now(UTC) - timedelta(hours=2))
    code, err = inventory(tmp_path, "--hostfile", str(tmp_path / "hostfile"))
    assert code == 0, err
    assert "1 nodes passed per" in err and "h ago)" in err and "is older than" not in err
    _report_at(tmp_path, datetime.now(UTC) - timedelta(hours=30))
    code, err = inventory(tmp_path, "--hostfile", str(tmp_path / "hostfile"))
    assert code == 0, err
    assert "is older than 24 h: run `gpufleet health` again" in err


def test_a_health_run_stamps_its_report(tmp_path: Path) -> None:
    from tests.health.test_cli_health import fleet as health_fleet
    from tests.health.test_cli_health import run as run_health

    inv, facts = health_fleet(tmp_path, ["gpu-1"])
    assert run_health("--inventory", str(inv), "--facts-dir", str(facts))[0] == 0
    stamp = json.loads((tmp_path / "health.json").read_text())["checked_at"]
    assert abs(datetime.now(UTC) - datetime.fromisoformat(stamp)) < timedelta(minutes=5)
