"""The health gate on what a real NVIDIA H200 printed (tests/recorded/device): the recorded
machine as it is, an 8-GPU node derived from its real GPU block, and faults injected into it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts.registry import FACTS
from bootstrap.health.checks import run_checks
from bootstrap.health.findings import gate
from bootstrap.health.node_facts import NodeFacts, RawFact
from bootstrap.nodecheck import checker
from tests.health.conftest import H200, healthy_h200_files, inventory, node_facts
from tests.recorded.device import (
    DEVICE,
    H200_VM,
    LOADED,
    eight_gpu_fabric,
    eight_gpu_power,
    eight_gpu_xml,
    recorded,
)

# What the checks say about the recorded machine when judged as a BM.GPU.H200.8: it is one
# H200 passed through to a VM, without NVSwitch, RDMA NICs, Oracle Cloud Agent or IMDS.
NOT_THIS_SHAPE = {
    "gpu-count", "fabric-manager", "nvlink:missing", "rdma-link", "rdma-address", "rdma-mtu",
    "rdma-speed", "rdma-gid", "dot1x", "oca-rdma", "oca-version", "shape-match",
}  # fmt: skip
# Checks of the GPU itself that must pass on the real, healthy GPU.
GPU_HEALTH = {"gpu-model", "gpu-ecc", "gpu-row-remap", "gpu-pcie", "gpu-throttle",
              "gpu-persistence", "gpu-power-cap", "xid"}  # fmt: skip


def recorded_raw(node: Path = H200_VM) -> dict[str, RawFact]:
    """The recorded facts with the exit codes the recorder saw (<node>.summary.json)."""
    summary = json.loads((DEVICE / f"{node.name}.summary.json").read_text())["kinds"]
    return {
        p.stem: RawFact(p.read_text(encoding="utf-8"), summary[p.stem]["exit"])
        for p in sorted(node.glob("*.txt"))
    }


def family(check: str) -> str:
    return check if check == "nvlink:missing" else check.split(":", 1)[0]


def test_the_recorded_machine_fails_exactly_what_it_is_not() -> None:
    verdict = gate(run_checks(NodeFacts("h200-vm", recorded_raw()), H200))
    failing = {family(c) for c in verdict.failing_checks}
    assert failing == NOT_THIS_SHAPE
    assert not failing & GPU_HEALTH
    nvlink = next(f for f in verdict.errors if f.check == "nvlink:missing")
    assert nvlink.message.startswith("only 0 of 8 GPUs report NVLinks")
    fabric = next(f for f in verdict.errors if f.check == "fabric-manager")
    assert "00000000:00:06.0: state N/A, status N/A" in fabric.message


def test_derived_eight_gpu_node_from_the_real_gpu_passes() -> None:
    f = node_facts(
        healthy_h200_files(),
        nvidia_smi_xml=eight_gpu_xml(),
        fabric_manager=eight_gpu_fabric(),
        gpu_power=eight_gpu_power(),
        xid=recorded("xid"),
    )
    verdict = gate(run_checks(f, H200))
    assert verdict.passed, verdict.failing_checks
    assert verdict.warnings == ()


@pytest.mark.parametrize(
    ("gpu", "old", "new", "check", "severity"),
    [
        (3, "<sram_uncorrectable_secded>0</sram_uncorrectable_secded>",
         "<sram_uncorrectable_secded>1</sram_uncorrectable_secded>", "gpu-ecc:3", "error"),
        (3, "<remapped_row_pending>No</remapped_row_pending>",
         "<remapped_row_pending>Yes</remapped_row_pending>", "gpu-row-remap:3", "error"),
        (5, "<current_link_width>16x</current_link_width>",
         "<current_link_width>8x</current_link_width>", "gpu-pcie:5", "error"),
        (6, "<product_name>NVIDIA H200</product_name>",
         "<product_name>NVIDIA H100 80GB HBM3</product_name>", "gpu-model", "error"),
        (1, "<clocks_event_reason_hw_slowdown>Not Active</clocks_event_reason_hw_slowdown>",
         "<clocks_event_reason_hw_slowdown>Active</clocks_event_reason_hw_slowdown>",
         "gpu-throttle:1", "warning"),
        (2, "<persistence_mode>Enabled</persistence_mode>",
         "<persistence_mode>Disabled</persistence_mode>", "gpu-persistence", "warning"),
    ],
)  # fmt: skip
def test_one_fault_in_one_real_gpu_block_is_named(gpu, old, new, check, severity) -> None:
    # The volatile and the aggregate ECC counters carry the same tag: a new uncorrectable error
    # raises both, so both are faulted.
    count = 2 if old.startswith("<sram_uncorrectable_secded>") else 1
    f = node_facts(
        healthy_h200_files(),
        nvidia_smi_xml=eight_gpu_xml({gpu: (old, new)}, count=count),
        fabric_manager=eight_gpu_fabric(),
        gpu_power=eight_gpu_power(),
    )
    assert [(x.check, x.severity.value) for x in run_checks(f, H200)] == [(check, severity)]


def test_failed_command_without_output_says_so() -> None:
    facts = NodeFacts("n", {"ibdev2netdev": RawFact("", 127), "nvlink": RawFact("", 0)})
    findings = run_checks(facts, H200)
    rdma = next(x for x in findings if x.check == "rdma-link")
    assert "command failed (exit 127: command not found), no output" in rdma.message
    assert any(x.check == "nvlink:missing" for x in findings)  # exit 0 + empty: no links


def test_health_cli_over_the_recorded_folder(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    shutil.copytree(H200_VM, facts / "h200-vm")
    inv = inventory(tmp_path / "inventory.json", [("h200-vm", "dev")])
    result = CliRunner().invoke(
        cli, ["health", "--inventory", str(inv), "--facts-dir", str(facts), "--no-quarantine"]
    )
    assert result.exit_code == 1, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("h200-vm "))
    assert "FAIL" in row and "gpu-count" in row and "nvlink:missing" in row
    assert "gpu-ecc" not in row and "gpu-pcie" not in row


@pytest.mark.parametrize("node", [H200_VM, LOADED], ids=["idle", "loaded"])
def test_node_checker_replays_the_device_run(tmp_path: Path, node: Path) -> None:
    """The node checker fed what the device printed (recorded outputs; the commands that printed
    nothing, with the exit codes they had there; curl to the metadata address shimmed to fail
    with 7, as the recorder does) writes exactly the verdict the device run wrote. Idle and under
    a training-like load the verdict is the same: a busy GPU at its power limit raises nothing."""
    summary = json.loads((DEVICE / f"{node.name}.summary.json").read_text())["kinds"]
    by_command = {FACTS[k].command: RawFact("", entry["exit"]) for k, entry in summary.items()}
    by_command.update({FACTS[k].command: raw for k, raw in recorded_raw(node).items()})

    def replay(command: str, limit_s: float) -> RawFact:
        return by_command.get(command) or RawFact("", 7 if "169.254.169.254" in command else 127)

    out = tmp_path / "health.json"
    code = checker.main(["--shape", H200.name, "--pool", "device", "--out", str(out)], replay)
    doc = json.loads(out.read_text())
    assert code == 1 and doc["verdict"] == "fail"
    assert {family(c) for c in doc["failing_checks"]} == NOT_THIS_SHAPE
    device = json.loads((DEVICE / f"{node.name}.health.json").read_text())
    assert doc["failing_checks"] == device["failing_checks"]
    assert doc["errors"] == device["errors"] and doc["warnings"] == device["warnings"]
    idle = json.loads((DEVICE / "h200-vm.health.json").read_text())
    assert (doc["errors"], doc["warnings"]) == (idle["errors"], idle["warnings"])
