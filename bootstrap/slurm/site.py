"""Where the Slurm daemons keep their files and how they run: the production layout, or a test
sandbox (own paths, root as SlurmUser, hardware emulated from slurm.conf).

Only the cluster description comes from the stack config; this is the host-side layout, so the
same rendering serves a real controller and the suite's namespaced daemons.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class SlurmSite:
    """Paths and run-time knobs of one Slurm installation (defaults: the production layout)."""

    conf_dir: str = "/etc/slurm"
    state_dir: str = "/var/spool/slurmctld"
    spool_dir: str = "/var/spool/slurmd"
    log_dir: str = "/var/log/slurm"
    run_dir: str = "/run"
    dev_dir: str = "/dev"
    health_program: str = "/usr/local/sbin/gpufleet-slurm-health"
    prolog: str = "/usr/local/sbin/gpufleet-slurm-prolog"
    health_file: str = "/var/lib/gpufleet/health.json"
    python: str = "python3.11"  # the interpreter the node health checker installs
    scontrol: str = "scontrol"
    nvidia_smi: str = "nvidia-smi"
    slurm_user: str = "slurm"
    munge_socket: str | None = None  # None: munge's default socket
    # Test sandboxes only: believe slurm.conf about CPUs/memory (SlurmdParameters=
    # config_overrides) and track processes without cgroups (no cgroup tree per slurmd).
    emulate_hardware: bool = False
    # Test sandboxes that start no slurmdbd: leave job accounting out of slurm.conf.
    accounting: bool = True
    db_host: str = "localhost"
    db_port: int = 3306
    slurmctld_port: int = 6817
    slurmd_port: int = 6818
    slurmdbd_port: int = 6819

    def path(self, *parts: str) -> str:
        return str(PurePosixPath(*parts))
