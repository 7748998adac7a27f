"""`gpufleet slurm sync-drains` refuses bad input before it connects anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bootstrap.cli import cli


def inventory(tmp_path: Path) -> Path:
    inv = {
        "ssh": {"user": "opc", "known_hosts": str(tmp_path / "kh")},
        "nodes": [{"name": "h100-0001", "host": "10.0.0.1", "pool": "h100",
                   "shape": "BM.GPU.H100.8"}],
    }  # fmt: skip
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inv))
    return path


def test_unknown_quarantined_node_is_refused(tmp_path: Path) -> None:
    inv = inventory(tmp_path)
    entry = {"node": "h100-0099", "reason": "x", "checks": [], "since": "2026-01-01T00:00:00Z"}
    (tmp_path / "quarantine.json").write_text(json.dumps({"schema": 1, "nodes": [entry]}))
    result = CliRunner().invoke(
        cli, ["slurm", "sync-drains", "--inventory", str(inv), "--controller", "10.0.0.9",
              "--logs", str(tmp_path / "logs")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "names nodes not in the inventory: h100-0099" in result.output
    assert not (tmp_path / "logs").exists()


def test_controller_is_required(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["slurm", "sync-drains", "--inventory", str(inventory(tmp_path))]
    )
    assert result.exit_code == 2
    assert "--controller" in result.output


def test_controller_port_outside_the_range_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["slurm", "sync-drains", "--inventory", str(inventory(tmp_path)),
              "--controller", "10.0.0.9:70000", "--logs", str(tmp_path / "logs")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "port 70000 is outside 1-65535" in result.output
    assert not (tmp_path / "logs").exists()
