"""The data Slurm's files are rendered from, computed once from the stack config and the node
list. Templates only print it: every key and value here is final.

    >>> slurm_settings(config, site, controllers)[:2]
    [('ClusterName', 'train'), ('SlurmctldHost', 'train-ctl')]
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.slurm.members import Member
from bootstrap.slurm.site import SlurmSite
from bootstrap.topology.slurm_hostlist import compress
from infra.config import StackConfig
from infra.shapes import CATALOG, Shape

Pairs = list[tuple[str, str]]

# slurmd drains a node whose memory is below RealMemory (slurm.conf(5) RealMemory); the kernel
# and firmware keep part of the nominal size, so declare 95% of it.
USABLE_MEMORY = 0.95


@dataclass(frozen=True)
class Controller:
    name: str  # its hostname; slurmctld starts only where the hostname matches


def controllers(config: StackConfig) -> list[Controller]:
    """The primary controller and, when configured, its backup (hostname = SlurmctldHost)."""
    names = [f"{config.cluster_name}-ctl"]
    if config.slurm.controller.backup:
        names.append(f"{config.cluster_name}-ctl-backup")
    return [Controller(n) for n in names]


def gpu_type(shape: Shape) -> str:
    """Slurm's GRES type for the shape's GPU: the model's first word, lowercase ('h100')."""
    return shape.gpu_model.split()[0].split("-")[0].lower()


def gpu_files(shape: Shape, site: SlurmSite) -> str:
    """The shape's GPU device files as one hostlist-style path."""
    last = shape.gpu_count - 1
    if shape.gpu_vendor == "amd":
        # ROCm GPUs are scheduled by their DRM render nodes (Slurm gres.conf(5) "File").
        return site.path(site.dev_dir, "dri", f"renderD[128-{128 + last}]")
    return site.path(site.dev_dir, f"nvidia[0-{last}]")


def state_dir(config: StackConfig, site: SlurmSite, ctl: list[Controller]) -> str:
    """slurmctld's state: local, or on the shared file system when a backup controller reads
    it too (slurm.conf(5) StateSaveLocation; `backup_needs_shared_state` ensures one exists)."""
    fs = config.storage.file_system
    if len(ctl) > 1 and fs is not None and not site.emulate_hardware:
        return site.path(fs.mount_path, "slurm", "state")
    return site.state_dir


def slurm_settings(config: StackConfig, site: SlurmSite, ctl: list[Controller]) -> Pairs:
    """slurm.conf's global KEY=VALUE lines, in file order."""
    s = config.slurm
    pairs: Pairs = [("ClusterName", config.cluster_name)]
    pairs += [("SlurmctldHost", c.name) for c in ctl]
    pairs += [
        ("SlurmUser", site.slurm_user),
        ("SlurmdUser", "root"),
        ("AuthType", "auth/munge"),
        ("CredType", "cred/munge"),
    ]
    if site.munge_socket:
        pairs.append(("AuthInfo", f"socket={site.munge_socket}"))
    pairs += [
        ("SlurmctldPort", str(site.slurmctld_port)),
        ("SlurmdPort", str(site.slurmd_port)),
        ("SrunPortRange", f"{s.srun_port_first}-{s.srun_port_last}"),
        ("StateSaveLocation", state_dir(config, site, ctl)),
        ("SlurmdSpoolDir", site.path(site.spool_dir, "%n") if site.emulate_hardware
         else site.spool_dir),
        ("SlurmctldPidFile", site.path(site.run_dir, "slurmctld.pid")),
        ("SlurmdPidFile", site.path(site.run_dir, "slurmd-%n.pid" if site.emulate_hardware
                                    else "slurmd.pid")),
        ("SlurmctldLogFile", site.path(site.log_dir, "slurmctld.log")),
        ("SlurmdLogFile", site.path(site.log_dir, "slurmd-%n.log" if site.emulate_hardware
                                    else "slurmd.log")),
    ]  # fmt: skip
    if site.emulate_hardware:
        pairs += [
            ("ProctrackType", "proctrack/linuxproc"),
            ("TaskPlugin", "task/none"),
            ("SlurmdParameters", "config_overrides"),
        ]
    else:
        # Jobs confined to their cores, memory and GPUs (cgroup.conf ConstrainDevices);
        # oci-hpc's slurm.conf.j2 uses the same pair.
        pairs += [
            ("ProctrackType", "proctrack/cgroup"),
            ("TaskPlugin", "task/affinity,task/cgroup"),
        ]
    pairs += [
        # Nodes fetch slurm.conf, gres.conf, cgroup.conf and topology.conf from the controller
        # (slurmd --conf-server, the join_slurm bootstrap step): one render serves every node.
        ("SlurmctldParameters", "enable_configless"),
        ("SelectType", "select/cons_tres"),
        ("SelectTypeParameters", "CR_Core_Memory"),
        ("GresTypes", "gpu"),
        # Jobs land on nodes under the fewest switch tiers (topology.conf from OCI's blocks).
        ("TopologyPlugin", "topology/tree"),
        ("SchedulerType", "sched/backfill"),
        ("MpiDefault", "none"),
        # A node down for not responding rejoins when it registers with a valid config; drains
        # (health, operator) stay until resumed.
        ("ReturnToService", "1"),
        # Timers as oci-hpc sets them for large GPU clusters (slurm.conf.j2).
        ("SlurmctldTimeout", "300"),
        ("SlurmdTimeout", "600"),
        ("InactiveLimit", "0"),
        ("MinJobAge", "300"),
        ("KillWait", "30"),
        ("HealthCheckProgram", site.health_program),
        ("HealthCheckInterval", str(s.health_check_interval_s)),
        ("HealthCheckNodeState", "ANY,CYCLE"),
        ("Prolog", site.prolog),
        # The prolog runs at allocation on every node of the job; a failing one drains that
        # node and requeues the job instead of holding it (oci-hpc: nohold_on_prolog_fail).
        ("PrologFlags", "Alloc"),
        ("SchedulerParameters", "nohold_on_prolog_fail"),
        ("JobAcctGatherType", "jobacct_gather/linux"),
        ("JobCompType", "jobcomp/none"),
    ]
    if not site.accounting:
        return pairs
    pairs += [
        ("AccountingStorageType", "accounting_storage/slurmdbd"),
        ("AccountingStorageHost", ctl[0].name),
        ("AccountingStoragePort", str(site.slurmdbd_port)),
        ("AccountingStorageTRES", "gres/gpu"),
    ]
    if len(ctl) > 1:
        pairs.append(("AccountingStorageBackupHost", ctl[1].name))
    if site.munge_socket:
        # With slurmdbd this key names munged's socket (slurm.conf(5) AccountingStoragePass).
        pairs.append(("AccountingStoragePass", site.munge_socket))
    return pairs


def _node_pairs(names: list[str], shape: Shape, pool: str, drain: str | None) -> Pairs:
    pairs: Pairs = [("NodeName", compress(names))]
    if shape.cpu_cores is not None and shape.cpu_sockets and shape.threads_per_core:
        pairs += [
            ("CPUs", str(shape.cpu_cores * shape.threads_per_core)),
            ("Sockets", str(shape.cpu_sockets)),
            ("CoresPerSocket", str(shape.cpu_cores // shape.cpu_sockets)),
            ("ThreadsPerCore", str(shape.threads_per_core)),
        ]
    elif shape.cpu_cores is not None:
        pairs.append(("CPUs", str(shape.cpu_cores)))
    if shape.ram_gb is not None:
        pairs.append(("RealMemory", str(int(shape.ram_gb * 1024 * USABLE_MEMORY))))
    pairs += [("Gres", f"gpu:{gpu_type(shape)}:{shape.gpu_count}"), ("Feature", pool)]
    pairs += [("State", "DRAIN"), ("Reason", drain)] if drain else [("State", "UNKNOWN")]
    return pairs


def node_lines(config: StackConfig, nodes: list[Member]) -> list[Pairs]:
    """One NodeName line per pool (plus one per pool for its drained nodes)."""
    out = []
    for pool in config.pools:
        shape = CATALOG[pool.shape]
        mine = [m for m in nodes if m.pool == pool.name]
        for reason in dict.fromkeys(m.drain_reason for m in mine):
            names = [m.name for m in mine if m.drain_reason == reason]
            out.append(_node_pairs(names, shape, pool.name, reason))
    return out


def partition_lines(config: StackConfig, nodes: list[Member]) -> list[Pairs]:
    """Configured partitions, or one per pool plus ``all`` (the default)."""
    by_pool: dict[str, list[str]] = {}
    for m in nodes:
        by_pool.setdefault(m.pool, []).append(m.name)
    parts = config.slurm.partitions
    if parts:
        spec = [(p.name, p.pools, p.default, p.max_time) for p in parts]
    else:
        pools = tuple(p.name for p in config.pools)
        spec = [(p, (p,), False, "UNLIMITED") for p in pools]
        spec.append(("all", pools, True, "UNLIMITED"))
    out = []
    for name, pools, default, max_time in spec:
        members = [n for pool in pools for n in by_pool.get(pool, [])]
        out.append([
            ("PartitionName", name),
            ("Nodes", compress(members)),
            ("Default", "YES" if default else "NO"),
            ("MaxTime", max_time),
            ("State", "UP"),
        ])  # fmt: skip
    return out


def gres_lines(config: StackConfig, nodes: list[Member], site: SlurmSite) -> list[Pairs]:
    """gres.conf: each pool's GPUs by device file (no NVML autodetection: not every build
    has it)."""
    out = []
    for pool in config.pools:
        shape = CATALOG[pool.shape]
        names = [m.name for m in nodes if m.pool == pool.name]
        out.append([
            ("NodeName", compress(names)),
            ("Name", "gpu"),
            ("Type", gpu_type(shape)),
            ("File", gpu_files(shape, site)),
        ])  # fmt: skip
    return out
