"""Slurm files rendered from the model: every example stack, drained nodes kept, hostlists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.health.quarantine import Quarantine
from bootstrap.slurm import render_slurm
from bootstrap.topology.slurm_hostlist import compress
from infra.config import StackConfig, load_stack_file
from tests.infra.conftest import STACKS, stack_id


def enabled(path: Path) -> StackConfig:
    config = load_stack_file(path)
    return config.model_copy(update={"slurm": config.slurm.model_copy(update={"enabled": True})})


def expand(expr: str) -> list[str]:
    """A test-side hostlist expander (prefix[a-b,c] groups joined by commas)."""
    out = []
    for m in re.finditer(r"([^,\[]+)(?:\[([^\]]+)\])?", expr):
        prefix, ranges = m.group(1), m.group(2)
        if ranges is None:
            out.append(prefix)
            continue
        for part in ranges.split(","):
            lo, _, hi = part.partition("-")
            for n in range(int(lo), int(hi or lo) + 1):
                out.append(f"{prefix}{n:0{len(lo)}d}")
    return out


def test_hostlist_round_trips() -> None:
    names = [f"h100-{i:04d}" for i in (*range(1, 11), 12, *range(9990, 10003))] + ["login"]
    expr = compress(names)
    assert expr == "h100-[0001-0010,0012,9990-9999],h100-[10000-10002],login"
    assert sorted(expand(expr)) == sorted(names)


@pytest.mark.parametrize("stack", STACKS, ids=stack_id)
def test_every_example_renders_one_node_line_per_pool(stack: Path) -> None:
    config = enabled(stack)
    files = render_slurm(config)
    conf = files["slurm.conf"]
    lines = [ln for ln in conf.splitlines() if ln.startswith("NodeName=")]
    assert len(lines) == len(config.pools)
    declared = [n for ln in lines for n in expand(ln.split()[0].removeprefix("NodeName="))]
    assert len(declared) == config.total_nodes
    in_topology = [
        n
        for ln in files["topology.conf"].splitlines()
        if " Nodes=" in ln
        for n in expand(ln.split(" Nodes=")[1])
    ]
    assert sorted(in_topology) == sorted(declared)
    for key in ("SelectType=select/cons_tres", "TopologyPlugin=topology/tree", "GresTypes=gpu"):
        assert key in conf.splitlines()
    assert "ConstrainDevices=yes" in files["cgroup.conf"]
    assert not re.search(r"^StoragePass", files["slurmdbd.conf"], re.M)


def test_node_line_carries_shape_topology_and_gpus() -> None:
    conf = render_slurm(enabled(STACKS[0]))["slurm.conf"]
    line = next(ln for ln in conf.splitlines() if ln.startswith("NodeName="))
    # BM.GPU.H100.8: 2 x 56 cores, 2 threads (oci-hpc slurm.conf.j2), 2048 GB, 8 GPUs.
    assert "CPUs=224 Sockets=2 CoresPerSocket=56 ThreadsPerCore=2" in line
    assert f"RealMemory={int(2048 * 1024 * 0.95)}" in line
    assert "Gres=gpu:h100:8" in line


def test_quarantined_node_is_drained_not_dropped() -> None:
    config = enabled(STACKS[0])
    q = Quarantine(()).add("h100-0002", "health gate", ["gpu-count"])
    files = render_slurm(config, quarantine=q)
    lines = [ln for ln in files["slurm.conf"].splitlines() if ln.startswith("NodeName=")]
    drained = [ln for ln in lines if "State=DRAIN" in ln]
    assert len(drained) == 1
    assert drained[0].startswith("NodeName=h100-0002 ")
    assert "Reason=gpufleet-quarantine" in drained[0]
    assert "h100-0002" in expand(files["topology.conf"].split(" Nodes=")[1].split()[0])


def test_cli_refuses_a_stack_without_slurm(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["slurm", "render", "--stack-config", str(STACKS[0]), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "gpufleet:slurm.enabled is not true" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_renders_with_inventory_names(tmp_path: Path) -> None:
    stack = next(s for s in STACKS if "h200-64" in s.name)
    inv = {
        "ssh": {"user": "opc", "known_hosts": str(tmp_path / "kh")},
        "nodes": [
            {"name": f"inst-{c}", "host": f"10.0.0.{i}", "pool": "h200", "shape": "BM.GPU.H200.8"}
            for i, c in enumerate("abc", 1)
        ],
    }
    (tmp_path / "inventory.json").write_text(json.dumps(inv))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["slurm", "render", "--stack-config", str(stack),
         "--inventory", str(tmp_path / "inventory.json"), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "NodeName=inst-a,inst-b,inst-c " in (out / "slurm.conf").read_text()
