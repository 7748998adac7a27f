"""Run the rendered script for real (bash, sandbox root, fakes): first run changes, second is ok."""

from __future__ import annotations

import pytest

from bootstrap.render import render_pool
from bootstrap.render.script import build_context
from tests.render.configs import config_with, container_software, example_raw, pool

MUTATING = (
    "dnf ",
    "apt-get ",
    "mdadm ",
    "mkfs.xfs ",
    "mount ",
    "modprobe ",
    "sysctl ",
    "git ",
    "make ",
    "python3",
    "pip ",
    "nvidia-ctk ",
    "systemctl enable",
    "systemctl disable",
    "ip link",
    "docker pull",
    "podman pull",
    "nvidia-smi -pl",
)

CASES = {
    "h100-ubuntu22-venv": lambda: config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")),
    "h200-ol9-container": lambda: config_with(
        pool("BM.GPU.H200.8", "oracle-linux-9"), software=container_software()
    ),
    "gb200-ubuntu24-aarch64": lambda: config_with(
        pool("BM.GPU.GB200.4", "ubuntu-24.04", "compute_cluster")
    ),
    # gpu_power runs (not skipped) only when the pool sets a cap
    "h100-ol8-power-cap": lambda: config_with(
        pool("BM.GPU.H100.8", "oracle-linux-8") | {"gpu_power_cap_w": 600}
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_first_run_changes_second_run_is_all_ok(case, make_node):
    node = make_node(CASES[case]())
    first = node.run()
    assert first.rc == 0, first.stderr[-3000:]
    statuses = first.status_of()
    assert list(statuses) == [s["name"] for s in node.ctx["steps"]]
    disabled = {s["name"] for s in node.ctx["steps"] if s["disabled"]}
    for step, status in statuses.items():
        want = "ok" if step == "preflight" else "skipped" if step in disabled else "changed"
        assert status == want, (step, first.by_step()[step])
    for line in first.statuses:
        assert set(line) == {"step", "status", "message", "seconds"}
        assert isinstance(line["seconds"], float)

    calls_before = len(node.calls())
    second = node.run()
    assert second.rc == 0, second.stderr[-3000:]
    for step, status in second.status_of().items():
        assert status == ("skipped" if step in disabled else "ok"), second.by_step()[step]
    new_calls = node.calls()[calls_before:]
    assert not [c for c in new_calls if c.startswith(MUTATING)], new_calls
    assert (node.root / "var/log/gpufleet/bootstrap.log").stat().st_size > 0
    assert (node.root / "var/log/gpufleet/last-run.jsonl").read_text() == second.stdout


def test_fabric_manager_only_on_nvswitch_x86(make_node):
    node = make_node(config_with(pool("BM.GPU.GB200.4", "ubuntu-24.04", "compute_cluster")))
    assert "nvidia-fabricmanager" not in node.files["bootstrap.sh"]
    assert "/usr/lib/aarch64-linux-gnu/openmpi" in node.files["bootstrap.sh"]


def test_a_changed_version_reruns_only_the_steps_it_touches(make_node, tmp_path):
    node = make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))
    assert node.run().rc == 0
    sw = example_raw()["software"]
    sw["nccl"] = "2.27.3-1"
    newer = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"), software=sw)
    # Same sandbox; the fake repo learns the new package specs.
    node.ctx = build_context(newer, newer.pools[0])
    node._write_repo()
    script = tmp_path / "newer.sh"
    script.write_text(render_pool(newer, newer.pools[0])["bootstrap.sh"])
    result = node.run(script=script)
    assert result.rc == 0, result.stderr[-2000:]
    changed = {s for s, st in result.status_of().items() if st == "changed"}
    assert changed == {"nccl"}, result.stdout
