"""The gpu_power step both ways: skipped without a pool cap; with one, every GPU is capped
(`nvidia-smi -pl`), the boot-time unit is written and enabled, a re-run is ok, and drift (one
GPU back at the board default, the unit gone or disabled) is seen by --check and fixed."""

from __future__ import annotations

import subprocess

import pytest

from tests.node_script.conftest import Node
from tests.render.configs import config_with, pool

STEPS = ("--only", "nvidia_driver,gpu_power")
UNIT = "etc/systemd/system/gpufleet-gpu-power.service"


def capped(cap: int = 500) -> dict[str, object]:
    return pool("BM.GPU.H100.8", "oracle-linux-9") | {"gpu_power_cap_w": cap}


def pl_calls(node: Node) -> list[str]:
    return [c for c in node.calls() if c.startswith("nvidia-smi -pl")]


def limits(node: Node) -> dict[int, str]:
    folder = node.state / "power"
    return {int(p.name): p.read_text().strip() for p in folder.iterdir()} if folder.is_dir() else {}


@pytest.fixture
def capped_node(make_node) -> Node:
    node: Node = make_node(config_with(capped()))
    first = node.run(*STEPS)
    assert first.rc == 0, first.stdout + first.stderr[-2000:]
    step = first.by_step()["gpu_power"]
    assert step["status"] == "changed", step
    assert step["message"].startswith("cap every GPU at 500 W (nvidia-smi -pl)")
    return node


def test_without_a_cap_the_step_is_skipped(make_node):
    node = make_node(config_with(pool("BM.GPU.H100.8", "oracle-linux-9")))
    result = node.run(*STEPS)
    assert result.rc == 0, result.stderr[-2000:]
    step = result.by_step()["gpu_power"]
    assert step["status"] == "skipped"
    assert "gpu_power_cap_w is not set" in step["message"]
    assert pl_calls(node) == [] and not (node.root / UNIT).exists()


def test_cap_is_applied_persisted_then_ok(capped_node):
    node = capped_node
    assert pl_calls(node) == ["nvidia-smi -pl 500"]
    assert limits(node) == {i: "500.00" for i in range(8)}
    unit = (node.root / UNIT).read_text()
    assert "ExecStart=/usr/bin/nvidia-smi -pl 500\n" in unit
    assert "Type=oneshot" in unit and "RemainAfterExit=yes" in unit
    assert "WantedBy=multi-user.target" in unit
    assert (node.state / "units/gpufleet-gpu-power.service.enabled").exists()
    again = node.run(*STEPS)
    step = again.by_step()["gpu_power"]
    assert step["status"] == "ok"
    assert "every GPU capped at 500 W" in step["message"]
    assert pl_calls(node) == ["nvidia-smi -pl 500"], "an ok step changes nothing"


def test_one_gpu_back_at_board_power_is_seen_then_fixed(capped_node):
    node = capped_node
    (node.state / "power/3").write_text("700.00\n")
    check = node.run("--check", *STEPS)
    assert check.rc == 0
    step = check.by_step()["gpu_power"]
    assert step["status"] == "changed" and step["message"].startswith("would cap every GPU")
    assert "power limit is not 500 W: GPU 3 at 700.00 W" in step["message"]
    assert pl_calls(node) == ["nvidia-smi -pl 500"], "--check never runs -pl"
    fixed = node.run(*STEPS)
    assert fixed.by_step()["gpu_power"]["status"] == "changed"
    assert limits(node)[3] == "500.00"
    assert node.run(*STEPS).by_step()["gpu_power"]["status"] == "ok"


@pytest.mark.parametrize(
    ("breaker", "reason"),
    [
        (lambda n: (n.root / UNIT).write_text("[Service]\n"), "is missing or differs"),
        (
            lambda n: (n.state / "units/gpufleet-gpu-power.service.enabled").unlink(),
            "gpufleet-gpu-power.service is not enabled and active",
        ),
    ],
    ids=["unit-changed", "unit-disabled"],
)
def test_boot_unit_drift_is_seen_then_fixed(capped_node, breaker, reason):
    node = capped_node
    breaker(node)
    step = node.run("--check", *STEPS).by_step()["gpu_power"]
    assert step["status"] == "changed" and reason in step["message"], step
    assert node.run(*STEPS).by_step()["gpu_power"]["status"] == "changed"
    assert node.run(*STEPS).by_step()["gpu_power"]["status"] == "ok"


def test_a_cap_the_board_refuses_fails_the_step(make_node):
    node = make_node(config_with(capped(150)))  # valid config, below the fake board's 200 W
    result = node.run(*STEPS)
    assert result.rc == 4
    step = result.by_step()["gpu_power"]
    assert step["status"] == "failed"
    assert "'nvidia-smi -pl 150' exited 2" in step["message"], step


def test_the_fake_refuses_what_it_does_not_know(make_node):
    node = make_node(config_with(capped()))
    for args in (["-pl", "abc"], ["-pl", "500", "-i", "0"], ["--query-gpu=power.draw"]):
        proc = subprocess.run(
            [str(node.bin / "nvidia-smi"), *args], env=node.env(), capture_output=True, text=True
        )
        assert proc.returncode == 97, (args, proc.stdout, proc.stderr)
