"""The node bootstrap script's `--check` run on a real H200 machine (Ubuntu 24.04, driver
580.159.04; tests/recorded/device/h200-vm.bootstrap-check.*): every status line keeps the result
contract, and each step reports what that machine really lacks."""

from __future__ import annotations

import json

from bootstrap.results import Status
from bootstrap.runner.status_lines import parse_status_line
from tests.recorded.device import DEVICE

STEPS = [
    "preflight", "os_tuning", "local_nvme", "nvidia_driver", "gpu_power", "rdma", "nccl",
    "nccl_tests", "containers", "training_stack", "shared_fs", "health_timer",
]  # fmt: skip


def test_every_line_is_a_status_line_and_every_step_reported_once() -> None:
    lines = (DEVICE / "h200-vm.bootstrap-check.jsonl").read_text().splitlines()
    results = [parse_status_line(line) for line in lines]
    assert all(r is not None for r in results)
    assert [r.step for r in results if r] == STEPS
    summary = json.loads((DEVICE / "h200-vm.summary.json").read_text())["bootstrap_check"]
    assert summary["exit"] == 0  # --check: nothing failed


def test_check_mode_observed_the_real_machine_and_changed_nothing() -> None:
    by_step = {
        r.step: r
        for line in (DEVICE / "h200-vm.bootstrap-check.jsonl").read_text().splitlines()
        if (r := parse_status_line(line))
    }
    pre = by_step["preflight"]
    assert pre.status is Status.OK and "BM.GPU.H200.8 running ubuntu-24.04" in pre.message
    assert by_step["gpu_power"].status is Status.SKIPPED  # the pool sets no cap
    would = [s for s, r in by_step.items() if r.status is Status.CHANGED]
    assert would == [s for s in STEPS if s not in ("preflight", "gpu_power")]
    assert all(by_step[s].message.startswith("would ") for s in would)
    # The running driver there was not installed from a package, and the check says so.
    assert by_step["nvidia_driver"].message.endswith(
        "(package nvidia-driver-580-open=580.159.04-* is not installed (have: none); "
        "driver 580.159.04 is loaded, installed outside the package manager)"
    )
    log = (DEVICE / "h200-vm.bootstrap-check.log").read_text()
    assert "check=1" in log and "all steps done" in log
