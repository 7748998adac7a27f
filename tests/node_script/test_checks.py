"""Every check both ways: on a configured node it says ok; broken one way at a time, --check
says "would ..." (or the run fails with the step named, for what no apply can fix)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.node_script.conftest import Node


def edit(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def unmount(node: Node, mountpoint: str) -> None:
    mounts = node.root / "proc/mounts"
    lines = [ln for ln in mounts.read_text().splitlines() if ln.split()[1] != mountpoint]
    mounts.write_text("\n".join(lines) + "\n")


def drop_fstab(node: Node, mountpoint: str) -> None:
    fstab = node.root / "etc/fstab"
    lines = [ln for ln in fstab.read_text().splitlines() if ln.split()[1] != mountpoint]
    fstab.write_text("\n".join(lines) + "\n")


# step, what breaks, a substring of the reason --check must give. apply must fix each one.
FIXABLE: list[tuple[str, Callable[[Node], None], str]] = [
    (
        "os_tuning",
        lambda n: edit(n.root / "etc/security/limits.d/50-gpufleet.conf", "x\n"),
        "50-gpufleet.conf is missing or differs",
    ),
    (
        "os_tuning",
        lambda n: os.chmod(n.root / "etc/sysctl.d/80-gpufleet.conf", 0o600),
        "80-gpufleet.conf is missing or differs",
    ),
    (
        "os_tuning",
        lambda n: edit(n.root / "proc/sys/net/ipv4/conf/rdma3/arp_ignore", "0\n"),
        "sysctl net.ipv4.conf.rdma3.arp_ignore is 0, want 2",
    ),
    (
        "os_tuning",
        lambda n: edit(
            n.root / "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n"
        ),
        "CPU frequency governor is powersave",
    ),
    (
        "os_tuning",
        lambda n: edit(n.state / "units/apt-daily-upgrade.timer.enabled", ""),
        "apt-daily-upgrade.timer is enabled",
    ),
    ("local_nvme", lambda n: unmount(n, "/mnt/localdisk"), "/mnt/localdisk is not mounted"),
    ("local_nvme", lambda n: drop_fstab(n, "/mnt/localdisk"), "/etc/fstab has no entry"),
    (
        "nvidia_driver",
        lambda n: (n.state / "pkgs/datacenter-gpu-manager-4-core").unlink(),
        "package datacenter-gpu-manager-4-core=1:4.4.2-1 is not installed",
    ),
    (
        "nvidia_driver",
        lambda n: (n.root / "sys/module/nvidia_peermem").rmdir(),
        "kernel module nvidia_peermem is not loaded",
    ),
    (
        "nvidia_driver",
        lambda n: (n.state / "units/nvidia-fabricmanager.active").unlink(),
        "nvidia-fabricmanager is not enabled and active",
    ),
    (
        "rdma",
        lambda n: edit(n.root / "sys/class/net/rdma7/mtu", "9000\n"),
        "mlx5_8 (rdma7) has MTU 9000, want 4220",
    ),
    (
        "nccl",
        lambda n: edit(n.root / "etc/nccl.conf", "NCCL_DEBUG=INFO\n"),
        "/etc/nccl.conf is missing or differs",
    ),
    (
        "nccl_tests",
        lambda n: (n.root / "opt/nccl-tests/build/all_reduce_perf").unlink(),
        "all_reduce_perf is missing",
    ),
    (
        "nccl_tests",
        lambda n: edit(n.root / "var/lib/gpufleet/state/nccl_tests.sha256", "0\n"),
        "built from other inputs",
    ),
    (
        "training_stack",
        lambda n: (n.root / "opt/gpufleet/venv/bin/python").unlink(),
        "no virtual environment at /opt/gpufleet/venv",
    ),
    (
        "training_stack",
        lambda n: edit(n.root / "var/lib/gpufleet/state/training_stack.sha256", "0\n"),
        "was built for other versions",
    ),
    ("shared_fs", lambda n: unmount(n, "/mnt/shared"), "/mnt/shared is not mounted"),
    ("shared_fs", lambda n: drop_fstab(n, "/mnt/shared"), "/etc/fstab has no entry"),
    (
        "health_timer",
        lambda n: (n.state / "units/gpufleet-health.timer.enabled").unlink(),
        "gpufleet-health.timer is not enabled and active",
    ),
    (
        "health_timer",
        lambda n: edit(n.root / "etc/systemd/system/gpufleet-health.timer", ""),
        "gpufleet-health.timer is missing or differs",
    ),
]


def test_done_node_checks_all_ok(done_copy):
    result = done_copy.run("--check")
    assert result.rc == 0
    assert set(result.status_of().values()) == {"ok", "skipped"}


@pytest.mark.parametrize(
    ("step", "breaker", "reason"), FIXABLE, ids=[f"{s}:{r[:30]}" for s, _, r in FIXABLE]
)
def test_not_done_is_seen_then_fixed(done_copy, step, breaker, reason):
    node = done_copy
    breaker(node)
    check = node.run("--check", "--only", step)
    assert check.rc == 0
    line = check.by_step()[step]
    assert line["status"] == "changed" and line["message"].startswith("would "), line
    assert reason in line["message"], line
    fixed = node.run("--only", step)
    assert fixed.rc == 0, fixed.stdout + fixed.stderr[-1500:]
    assert fixed.status_of()[step] == "changed"
    again = node.run("--only", step)
    assert again.status_of()[step] == "ok", again.stdout


def test_local_nvme_remounts_an_assembled_raid_without_recreating_it(done_copy):
    unmount(done_copy, "/mnt/localdisk")
    n = len(done_copy.calls())
    assert done_copy.run("--only", "local_nvme").rc == 0
    new = done_copy.calls()[n:]
    assert any(c.startswith("mount -t xfs") for c in new)
    assert not any(c.startswith(("mdadm", "mkfs.xfs")) for c in new), new


# Unfixable: the run stops; exit code 3 (preflight) or 4 (a step), the status line names it.
UNFIXABLE: list[tuple[str, dict[str, str], Callable[[Node], None], int, str]] = [
    ("preflight", {"GF_EUID": "1000"}, lambda n: None, 3, "must run as root"),
    (
        "preflight",
        {},
        lambda n: edit(n.imds / "instance/shape", "BM.GPU.H200.8"),
        3,
        "this node is a BM.GPU.H200.8; the script was rendered for BM.GPU.H100.8",
    ),
    (
        "preflight",
        {},
        lambda n: (n.imds / "instance/shape").unlink(),
        3,
        "cannot read the shape from instance metadata",
    ),
    (
        "preflight",
        {},
        lambda n: edit(n.root / "etc/os-release", "ID=ubuntu\nVERSION_ID=24.04\n"),
        3,
        "this node runs ubuntu 24.04; the script was rendered for ubuntu-22.04",
    ),
    (
        "preflight",
        {},
        lambda n: edit(n.state / "df_avail_kb", "1048576"),
        3,
        "1 GiB free on /, need 20 GiB",
    ),
    (
        "preflight",
        {"GF_IMDS": "http://192.0.2.1/opc/v2"},
        lambda n: None,
        3,
        "cannot read the shape from instance metadata",
    ),
    ("rdma", {}, lambda n: (n.state / "ofed").unlink(), 4, "OFED/DOCA-OFED is not installed"),
    (
        "rdma",
        {},
        lambda n: edit(
            n.root / "var/run/oci-hpc/oci-hpc-rdma-configure.json", '{"state": "IN_PROGRESS"}'
        ),
        4,
        "the OCA RDMA auto-configuration has not completed",
    ),
    ("rdma", {}, lambda n: (n.state / "ip/rdma5").unlink(), 4, "mlx5_6 (rdma5) has no IPv4"),
    (
        "rdma",
        {},
        lambda n: (n.state / "auth/rdma15").unlink(),
        4,
        "mlx5_17 (rdma15) is not 802.1X authenticated",
    ),
    (
        "rdma",
        {},
        lambda n: (n.root / "sys/class/infiniband/mlx5_12/device/net/rdma10").rmdir(),
        4,
        "RDMA device mlx5_12 has no network interface",
    ),
    (
        "shared_fs",
        {},
        lambda n: (n.imds / "instance/metadata/gpufleet_fss_host").unlink(),
        4,
        "instance metadata has no gpufleet_fss_host",
    ),
    (
        "shared_fs",
        {},
        lambda n: edit(n.imds / "instance/metadata/gpufleet_fss_host", "$(touch /tmp/x)"),
        4,
        "is not a host name",
    ),
]


@pytest.mark.parametrize(
    ("step", "env", "breaker", "rc", "reason"),
    UNFIXABLE,
    ids=[f"{s}:{r[:30]}" for s, _, _, _, r in UNFIXABLE],
)
def test_unfixable_gaps_fail_the_step(done_copy, step, env, breaker, rc, reason):
    breaker(done_copy)
    result = done_copy.run(**env)
    assert result.rc == rc, result.stdout
    last = result.statuses[-1]
    assert last["step"] == step and last["status"] == "failed", last
    assert reason in last["message"], last
    # --check also reports the gap (preflight fails there too; others say "would").
    check = done_copy.run("--check", **env)
    assert reason in check.by_step()[step]["message"]


def test_local_nvme_refuses_a_wrong_drive_count_and_skips_the_boot_disk(make_node):
    from tests.render.configs import config_with, pool

    node = make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))
    (node.root / "sys/block/nvme15n1").rmdir()
    result = node.run("--only", "local_nvme")
    assert result.rc == 4
    msg = result.by_step()["local_nvme"]["message"]
    assert "found 15 unused NVMe drives" in msg and "nvme99n1" not in msg
    assert not any(c.startswith("mdadm") for c in node.calls())


def test_local_nvme_never_formats_a_foreign_file_system(make_node):
    from tests.render.configs import config_with, pool

    node = make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))
    edit(node.root / "proc/mdstat", "md0 : active raid0 nvme0n1[0]\n")
    edit(node.state / "fs_md0", "ext4\n")
    result = node.run("--only", "local_nvme")
    assert result.rc == 4
    assert "already holds a ext4 file system" in result.by_step()["local_nvme"]["message"]
    assert not any(c.startswith("mkfs") for c in node.calls())


def test_a_driver_loaded_without_its_package_is_named_only_for_the_driver(done_copy):
    """As on the real H200 VM (tests/recorded/device): a driver runs, its package is absent."""
    node = done_copy
    pkgs = node.state / "pkgs"
    dcgm = pkgs / "datacenter-gpu-manager-4-core"
    kept = dcgm.read_text()
    dcgm.unlink()
    other = node.run("--check", "--only", "nvidia_driver").by_step()["nvidia_driver"]["message"]
    assert "datacenter-gpu-manager-4-core" in other and "outside the package manager" not in other
    dcgm.write_text(kept)
    [driver] = [p for p in pkgs.iterdir() if p.name.startswith("nvidia-driver")]
    driver.unlink()
    loaded = (node.state / "driver_loaded").read_text().strip()
    line = node.run("--check", "--only", "nvidia_driver").by_step()["nvidia_driver"]
    assert line["status"] == "changed"
    assert line["message"].endswith(
        f"is not installed (have: none); driver {loaded} is loaded, installed outside the "
        "package manager)"
    ), line


def test_local_nvme_remounts_its_raid_after_a_reboot_renamed_it(done_copy):
    """After a reboot the RAID is md127 (no mdadm.conf names it) and, say, not mounted: the
    step finds it by its label and mounts it; it never creates a RAID over its drives again."""
    node = done_copy
    unmount(node, "/mnt/localdisk")
    edit(node.root / "proc/mdstat", "md127 : active raid0 nvme0n1[0] nvme1n1[1]\n")
    edit(node.state / "md_name", "/dev/md127\n")
    before = len(node.calls())
    result = node.run("--only", "local_nvme")
    assert result.rc == 0, result.stderr[-2000:]
    assert result.by_step()["local_nvme"]["status"] == "changed"
    calls = node.calls()[before:]
    assert not any(c.startswith(("mdadm", "mkfs")) for c in calls), calls
    assert any(c.startswith("mount -t xfs") and " /dev/md127 " in c for c in calls), calls
