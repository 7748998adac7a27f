"""Who is in the Slurm cluster: every launched node (spares and quarantined ones included), its
pool, and the state the controller starts it in.

Health is node state, never absence: a quarantined node stays in slurm.conf and topology.conf
(so the controller never reports switches lacking nodes) and starts DRAINED with a reason that
names the quarantine. Names come from the inventory when one is given (the real hostnames);
otherwise they are the names the stack gives compute-cluster nodes, ``<pool>-0001`` onward,
which the node-join step also sets as hostname.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bootstrap.health.quarantine import Quarantine
from bootstrap.inventory.model import Inventory
from bootstrap.topology.placement import Placement
from infra.config import StackConfig

# The health check program drains with reasons starting HEALTH_MARK and resumes
# only those: an operator's drain or a quarantine is never undone by the checker.
HEALTH_MARK = "gpufleet-health:"
QUARANTINE_REASON = "gpufleet-quarantine"


@dataclass(frozen=True)
class Member:
    name: str
    pool: str
    drain_reason: str | None = None  # None: the node starts in service


def members(
    config: StackConfig, inventory: Inventory | None = None, quarantine: Quarantine | None = None
) -> list[Member]:
    """Every node Slurm knows, pool by pool in config order."""
    held = quarantine.names if quarantine is not None else frozenset()
    out = []
    for pool in config.pools:
        if inventory is not None:
            names = [n.name for n in inventory.nodes if n.pool == pool.name]
        else:
            names = [f"{pool.name}-{i:04d}" for i in range(1, pool.launched + 1)]
        for name in names:
            reason = QUARANTINE_REASON if name in held else None
            out.append(Member(name, pool.name, reason))
    return out


def fabric_placements(
    config: StackConfig, nodes: list[Member], measured: Mapping[str, Placement] | None = None
) -> list[Placement]:
    """Where each node sits: measured (IMDS host facts) when given, else its cluster network.

    Without facts the only fabric boundary known from the config is the cluster network (a
    pool split by ``max_nodes_per_cluster_network``, or one compute cluster): nodes in one
    share a switch, nodes in two never do.
    """
    if measured is not None:
        return [measured[m.name] for m in nodes]
    chunk = {p.name: p.max_nodes_per_cluster_network or p.launched for p in config.pools}
    seen: dict[str, int] = {}
    out = []
    for m in nodes:
        index = seen.get(m.pool, 0)
        seen[m.pool] = index + 1
        block = f"{m.pool}-cn{index // chunk[m.pool]:04d}"
        out.append(Placement(node=m.name, host=m.name, local_block=block, network_block=block,
                             island=None))  # fmt: skip
    return out
