"""Reboot and resume: a new driver over a loaded old one asks for one reboot, the resume unit
finishes the bootstrap after it, and a failure (after the reboot or otherwise) ends it: no
loop. The "reboot" here is the sandbox's: a new boot id, and the installed driver loaded."""

from __future__ import annotations

import json
import shutil
import uuid

from tests.node_script.conftest import Node
from tests.render.configs import config_with, pool

PIN = "570.172.08"
OLD = "550.90.07"
RESUME_UNIT = "gpufleet-bootstrap-resume.service"
LATER = ("gpu_power", "rdma", "nccl", "nccl_tests", "training_stack", "shared_fs", "health_timer")


def image_with_driver(node: Node, version: str) -> None:
    """An image that ships `version` from the package manager, loaded."""
    driver = [p for p in node.ctx["packages"] if p["name"].startswith("nvidia-driver")]
    assert driver
    for p in driver:
        (node.state / "pkgs").mkdir(exist_ok=True)
        (node.state / "pkgs" / p["name"]).write_text(f"{version}-0ubuntu1\n")
    (node.state / "driver_installed").write_text(f"{version}\n")
    (node.state / "driver_loaded").write_text(f"{version}\n")


def reboot(node: Node, *, driver_loads: bool = True) -> None:
    """What a reboot changes for the script: the boot id, and which driver the kernel runs."""
    (node.root / "proc/sys/kernel/random/boot_id").write_text(f"{uuid.uuid4()}\n")
    if driver_loads:
        shutil.copy(node.state / "driver_installed", node.state / "driver_loaded")
    (node.state / "reboot_scheduled").unlink(missing_ok=True)


def status_file(node: Node) -> dict:
    return json.loads((node.root / "var/lib/gpufleet/bootstrap.json").read_text())


def installed(node: Node):
    return node.root / "usr/local/sbin/gpufleet-bootstrap"


def armed(node: Node) -> bool:
    return (node.root / "var/lib/gpufleet/state/resume").exists()


def shutdowns(node: Node) -> list[str]:
    return [c for c in node.calls() if c.startswith("shutdown")]


def h100(make_node) -> Node:
    return make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))


def test_image_driver_equal_to_the_pin_needs_no_reboot(make_node):
    node = h100(make_node)
    image_with_driver(node, PIN)
    result = node.run("--reboot")
    assert result.rc == 0, result.stderr[-2000:]
    assert "reboot" not in result.by_step()["nvidia_driver"]["message"]
    installs = [c for c in node.calls() if " install " in c]
    assert installs and not any("nvidia-driver" in c for c in installs), installs
    assert not shutdowns(node) and not armed(node)
    assert status_file(node)["state"] == "ok"


def test_an_older_image_driver_reboots_once_and_the_bootstrap_resumes(make_node):
    node = h100(make_node)
    image_with_driver(node, OLD)
    # Without --reboot: the run stops at the driver and says so; nothing reboots.
    first = node.run()
    assert first.rc == 6, first.stderr[-2000:]
    line = first.by_step()["nvidia_driver"]
    assert line["status"] == "changed"
    assert "reboot required: driver 570.172.08 is installed but not loaded" in line["message"]
    assert "Driver/library version mismatch" in line["message"]
    for step in LATER:
        assert first.by_step()[step] == first.by_step()[step] | {
            "status": "skipped",
            "message": "waits for the reboot that nvidia_driver needs",
        }
    state = status_file(node)
    assert state["state"] == "reboot-required" and state["step"] == "nvidia_driver"
    assert state["exit_code"] == 6 and "re-run with --reboot" in state["reason"]
    assert not shutdowns(node)
    # The resume unit is armed, and runs this very script.
    assert armed(node)
    assert installed(node).read_text() == node.script.read_text()
    unit = (node.root / "etc/systemd/system" / RESUME_UNIT).read_text()
    assert "ExecStart=/usr/local/sbin/gpufleet-bootstrap --resume\n" in unit
    assert "ConditionPathExists=/var/lib/gpufleet/state/resume\n" in unit
    assert (node.state / "units" / f"{RESUME_UNIT}.enabled").exists()

    # Again in the same boot, now allowed to reboot: still one request, and a reboot in a minute.
    second = node.run("--reboot")
    assert second.rc == 6, second.stderr[-2000:]
    assert shutdowns(node) == [
        "shutdown -r +1 gpufleet: reboot for nvidia_driver: driver 570.172.08 is installed but "
        "not loaded: nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch"
    ]
    assert status_file(node)["state"] == "rebooting"

    reboot(node)
    resumed = node.run("--resume", script=installed(node))
    assert resumed.rc == 0, resumed.stderr[-3000:]
    statuses = resumed.status_of()
    assert statuses["nvidia_driver"] == "changed", resumed.by_step()["nvidia_driver"]
    assert all(statuses[s] in ("ok", "changed", "skipped") for s in statuses)
    assert statuses["preflight"] == statuses["os_tuning"] == "ok"  # done before the reboot
    assert status_file(node)["state"] == "ok"
    assert not armed(node) and not (node.root / "var/lib/gpufleet/state/reboot").exists()
    assert len(shutdowns(node)) == 1
    # A later run is a plain no-op.
    again = node.run()
    assert again.rc == 0 and set(again.status_of().values()) <= {"ok", "skipped"}


def test_a_reboot_that_does_not_help_fails_the_step_and_ends_the_resume(make_node):
    node = h100(make_node)
    image_with_driver(node, OLD)
    assert node.run("--reboot").rc == 6
    reboot(node, driver_loads=False)  # e.g. the new module did not build for this kernel
    resumed = node.run("--resume", script=installed(node))
    assert resumed.rc == 4, resumed.stderr[-2000:]
    last = resumed.statuses[-1]
    assert last["step"] == "nvidia_driver" and last["status"] == "failed"
    assert last["message"].startswith(
        "still not in the desired state after the reboot for this change: driver 570.172.08"
    )
    state = status_file(node)
    assert (state["state"], state["step"], state["exit_code"]) == ("failed", "nvidia_driver", 4)
    assert state["reason"] == last["message"]
    assert len(shutdowns(node)) == 1 and not armed(node)
    # Even run again at yet another boot (the unit would not start: its flag is gone), it
    # fails the same way and never reboots.
    reboot(node, driver_loads=False)
    assert node.run("--resume", script=installed(node)).rc == 4
    assert len(shutdowns(node)) == 1 and not armed(node)


def test_a_step_failing_after_the_reboot_ends_the_resume_with_a_clear_status(make_node):
    node = h100(make_node)
    image_with_driver(node, OLD)
    assert node.run("--reboot").rc == 6
    reboot(node)
    (node.state / "fail").mkdir()
    (node.state / "fail/git").write_text("128\n")  # nccl-tests cannot be fetched
    resumed = node.run("--resume", script=installed(node))
    assert resumed.rc == 4
    assert resumed.by_step()["nvidia_driver"]["status"] == "changed"
    state = status_file(node)
    assert (state["state"], state["step"]) == ("failed", "nccl_tests")
    assert "git clone" in state["reason"] and "exited 128" in state["reason"]
    assert not armed(node) and len(shutdowns(node)) == 1


def test_check_mode_reports_the_reboot_and_changes_nothing(done_copy):
    node = done_copy
    (node.state / "driver_installed").unlink(missing_ok=True)
    (node.state / "driver_loaded").write_text(f"{OLD}\n")
    before = (node.root / "var/lib/gpufleet/bootstrap.json").read_text()
    line = node.run("--check").by_step()["nvidia_driver"]
    assert line["status"] == "changed"
    assert line["message"].startswith("would install NVIDIA driver")
    assert f"the loaded driver is {OLD}, want {PIN}" in line["message"]
    assert (node.root / "var/lib/gpufleet/bootstrap.json").read_text() == before
    assert not armed(node)
    usage = node.run("--check", "--reboot")
    assert usage.rc == 2 and "--check never reboots" in usage.stderr
