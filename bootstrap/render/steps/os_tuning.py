"""os_tuning: kernel limits, neighbour/ARP sysctls, CPU governor, no unattended upgrades.

Sources: IMG = github.com/oracle-quickstart/oci-hpc-images @ 9263b5fa; HPC@v3 =
github.com/oracle-quickstart/oci-hpc @ b5285a68.
"""

from __future__ import annotations

from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

SYSCTL_FILE = "/etc/sysctl.d/80-gpufleet.conf"

# Timers that upgrade packages unattended, per package manager. HPC fix_broken role: disable
# the daily apt timers so nothing upgrades the kernel or driver behind the cluster's back.
AUTO_UPGRADE_UNITS = {
    "dnf": ("dnf-automatic.timer", "dnf-automatic-install.timer"),
    "apt": ("apt-daily.timer", "apt-daily-upgrade.timer"),
}


def sysctls(rdma_ports: int) -> list[tuple[str, str]]:
    """Neighbour tables and per-RDMA-port ARP settings."""
    out: list[tuple[str, str]] = [
        # IMG group_vars gpu_sysctl (99-oci-gpu-tuning.conf): neighbour tables big enough for
        # every peer's RDMA address on large clusters (meshpinger: "Insufficient ARP table size").
        ("net.ipv4.neigh.default.gc_thresh1", "32768"),
        ("net.ipv4.neigh.default.gc_thresh2", "65535"),
        ("net.ipv4.neigh.default.gc_thresh3", "131072"),
    ]
    # HPC@v3 rdma-interface el.yml / samples/gpu/update_arp_settings.sh: per RDMA netdev, so
    # many ports in one subnet answer ARP only for their own address. OCI device naming
    # (oci_hpc.rdma_device_names_mode=2) names the ports rdma0..rdmaN-1.
    for i in range(rdma_ports):
        out += [
            (f"net.ipv4.conf.rdma{i}.rp_filter", "2"),
            (f"net.ipv4.conf.rdma{i}.arp_ignore", "2"),
            (f"net.ipv4.conf.rdma{i}.arp_announce", "1"),
        ]
    return out


def build(inp: PoolInput) -> StepData:
    # Kernel limits: oci-hpc-images kernel_limits (/etc/security/limits.d/50-hpc-limits.conf):
    # RDMA registers (pins) all GPU/host buffers -> memlock unlimited; NCCL/MPI open many fds.
    limits = "".join(
        f"* {kind} {item} {value}\n"
        for item, value in (("memlock", "unlimited"), ("nofile", "131072"), ("stack", "unlimited"))
        for kind in ("soft", "hard")
    )
    values = sysctls(len(inp.shape.rdma_devices))
    files = [
        {
            "path": "/etc/security/limits.d/50-gpufleet.conf",
            "mode": "0644",
            "content": "# gpufleet: RDMA pins memory (memlock); NCCL/MPI open many files\n"
            + limits,
        },
        {
            "path": SYSCTL_FILE,
            "mode": "0644",
            "content": "# gpufleet: neighbour tables for large clusters, ARP per RDMA port\n"
            + "".join(f"{k} = {v}\n" for k, v in values),
        },
    ]
    if inp.family == "apt":
        # HPC fix_broken role: no unattended upgrades (a kernel/driver upgrade breaks the GPUs).
        files.append(
            {
                "path": "/etc/apt/apt.conf.d/20auto-upgrades",
                "mode": "0644",
                "content": 'APT::Periodic::Update-Package-Lists "0";\n'
                'APT::Periodic::Unattended-Upgrade "0";\n',
            }
        )
    return StepData(
        name="os_tuning",
        action="write limits and sysctls, set the CPU governor to performance, "
        "disable automatic upgrades",
        params={"sysctls": values, "governor": "performance"},
        files=files,
        units_off=list(AUTO_UPGRADE_UNITS[inp.family]),
        vars={"sysctl_file": SYSCTL_FILE, "sysctls": values},
    )
