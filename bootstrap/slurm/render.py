"""Render a cluster's Slurm files from the stack config: slurm.conf, gres.conf, cgroup.conf,
topology.conf (every node, drained ones included) and slurmdbd.conf (without its password).

    >>> sorted(render_slurm(config))
    ['cgroup.conf', 'gres.conf', 'slurm.conf', 'slurmdbd.conf', 'topology.conf']
"""

from __future__ import annotations

from collections.abc import Mapping

from bootstrap.health.quarantine import Quarantine
from bootstrap.inventory.model import Inventory
from bootstrap.render.jinja import render_text
from bootstrap.slurm.conf import (
    Pairs,
    controllers,
    gres_lines,
    node_lines,
    partition_lines,
    slurm_settings,
)
from bootstrap.slurm.members import HEALTH_MARK, Member, fabric_placements, members
from bootstrap.slurm.site import SlurmSite
from bootstrap.topology.hostfile import order
from bootstrap.topology.placement import Placement
from bootstrap.topology.slurm import topology_conf
from infra.config import Pool, StackConfig
from infra.shapes import CATALOG

FILES = ("slurm.conf", "gres.conf", "cgroup.conf", "topology.conf", "slurmdbd.conf")
# A node timer verdict older than this many timer periods counts as stale (a stopped timer or a
# hung checker must not keep a node in service on an old pass).
STALE_PERIODS = 3


def health_program(config: StackConfig, pool: Pool, site: SlurmSite) -> str:
    """The pool's HealthCheckProgram (and Prolog, with --prolog)."""
    return render_text(
        "slurm/health.sh.j2",
        cluster=config.cluster_name,
        pool=pool.name,
        shape=pool.shape,
        mark=HEALTH_MARK,
        health_file=site.health_file,
        max_age_s=config.software.health_interval_minutes * 60 * STALE_PERIODS,
        gpus=CATALOG[pool.shape].gpu_count,
        python=site.python,
        scontrol=site.scontrol,
        nvidia_smi=site.nvidia_smi,
        slurm_conf=site.path(site.conf_dir, "slurm.conf"),
    )


def dbd_settings(config: StackConfig, site: SlurmSite) -> Pairs:
    """slurmdbd.conf's lines (accounting in MySQL/MariaDB; the password is added on the host)."""
    pairs: Pairs = [
        ("AuthType", "auth/munge"),
        ("DbdHost", controllers(config)[0].name),
        ("DbdPort", str(site.slurmdbd_port)),
        ("SlurmUser", site.slurm_user),
        ("LogFile", site.path(site.log_dir, "slurmdbd.log")),
        ("PidFile", site.path(site.run_dir, "slurmdbd.pid")),
        ("StorageType", "accounting_storage/mysql"),
        ("StorageHost", site.db_host),
        ("StoragePort", str(site.db_port)),
        ("StorageUser", "slurm"),
        ("StorageLoc", "slurm_acct_db"),
    ]
    if site.munge_socket:
        pairs.insert(1, ("AuthInfo", f"socket={site.munge_socket}"))
    return pairs


def render_slurm(
    config: StackConfig,
    site: SlurmSite | None = None,
    *,
    inventory: Inventory | None = None,
    quarantine: Quarantine | None = None,
    measured: Mapping[str, Placement] | None = None,
) -> dict[str, str]:
    """{filename: text} for the cluster, plus ``health-<pool>.sh`` per pool (its
    HealthCheckProgram and Prolog); deterministic (same inputs, same bytes)."""
    site = site or SlurmSite()
    nodes: list[Member] = members(config, inventory, quarantine)
    if measured is not None:
        # slurm.conf's node order is Slurm's node numbering, and so the order an allocation's
        # nodes get their ranks in: list them in topology order.
        rank = {p.node: i for i, p in enumerate(order(measured[m.name] for m in nodes))}
        nodes.sort(key=lambda m: rank[m.name])
    common = {"cluster": config.cluster_name, "version": config.slurm.version}
    ctl = controllers(config)
    files = {
        "slurm.conf": render_text(
            "slurm/slurm.conf.j2",
            **common,
            settings=slurm_settings(config, site, ctl),
            nodes=node_lines(config, nodes),
            partitions=partition_lines(config, nodes),
        ),
        "gres.conf": render_text("slurm/gres.conf.j2", **common,
                                 gres=gres_lines(config, nodes, site)),
        "cgroup.conf": render_text("slurm/cgroup.conf.j2", **common),
        "topology.conf": topology_conf(fabric_placements(config, nodes, measured)),
        "slurmdbd.conf": render_text("slurm/slurmdbd.conf.j2", **common,
                                     settings=dbd_settings(config, site)),
    }  # fmt: skip
    for pool in config.pools:
        files[f"health-{pool.name}.sh"] = health_program(config, pool, site)
    return files
