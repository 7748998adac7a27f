# ruff: noqa: E501  (the script is bash: its status lines are clearer whole)
"""`gpufleet bootstrap` and a node whose script needs a reboot (exit 6): changed, listed with
category "reboot" and the reason, and `--reboot` reaches the script. Real sshd fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import sshfleet
from tests.runner.fleet_helpers import by_node, gpufleet, only_run, results_of

pytestmark = pytest.mark.sshd

# The rendered script's lines when its nvidia_driver step asks for a reboot (see
# tests/node_script/test_reboot_resume.py for the script itself).
SCRIPT = r"""#!/bin/bash
echo "args=$*" >&2
echo '{"step": "nvidia_driver", "status": "changed", "message": "install NVIDIA driver 570.172.08; reboot required: driver 570.172.08 is installed but not loaded", "seconds": 1.5}'
echo '{"step": "rdma", "status": "skipped", "message": "waits for the reboot that nvidia_driver needs", "seconds": 0.0}'
exit 6
"""


def test_a_node_that_needs_a_reboot_is_changed_and_listed_with_the_reason(
    fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    script = tmp_path / "bootstrap.sh"
    script.write_text(SCRIPT)
    node = fleet.nodes[0].name
    logs = tmp_path / "logs"
    base = ["bootstrap", "--inventory", str(inventory), "--script", str(script), "--no-sudo"]
    result = gpufleet(*base, "--logs", str(logs), "--limit", node, "--reboot")
    assert result.exit_code == 0, result.output
    assert "reboot" in result.output and "nvidia_driver" in result.output
    run = only_run(logs)
    r = by_node(results_of(run))[node]
    assert (r["status"], r["exit_code"], r["error_category"]) == ("changed", 6, "reboot")
    assert r["failed_step"] is None
    assert r["error_message"].startswith(
        f"{node}: reboot required by step nvidia_driver: driver 570.172.08 is installed but "
        "not loaded; with --reboot it reboots and resumes by itself"
    )
    assert "args=--reboot" in (run / f"{node}.log").read_text()
    # --check observes only: combining it with --reboot is bad input, nothing runs.
    check = gpufleet(*base, "--logs", str(tmp_path / "logs2"), "--check", "--reboot")
    assert check.exit_code == 2 and "cannot be combined with --reboot" in check.output
