"""From the quarantine list to the stack config change that replaces those nodes.

Replacement goes through the program (`infra.components.gpu_pool`): a pool's
``replace_nodes`` maps a node to a generation, and bumping it replaces that node on the next
``pulumi up``. A cluster-network pool keys by instance OCID (detach with terminate; the instance
pool relaunches to keep its size); a compute-cluster pool keys by node name (recreated). This
module turns quarantined inventory nodes into those keys and the ``pulumi config set --path``
commands that bump them, or says why a node cannot be replaced. It is pure: nothing is run.

    >>> cmd = ConfigSet(pool_index=0, key="gpu-0007", generation=2)
    >>> cmd.shell()
    'pulumi config set --path \\'gpufleet:pools[0].replace_nodes["gpu-0007"]\\' 2'

Path syntax: Pulumi property paths; keys with '.' (every OCID) need bracket notation, and with
``--path`` an integer value is stored as a number (pulumi.com docs: `pulumi config set`,
"Property Paths").
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bootstrap.inventory.model import Node
from infra.config.model import StackConfig


@dataclass(frozen=True)
class ConfigSet:
    pool_index: int
    key: str
    generation: int

    @property
    def path(self) -> str:
        return f'gpufleet:pools[{self.pool_index}].replace_nodes["{self.key}"]'

    def shell(self) -> str:
        return f"pulumi config set --path {shlex.quote(self.path)} {self.generation}"


@dataclass(frozen=True)
class Plan:
    sets: tuple[ConfigSet, ...]
    problems: tuple[str, ...]


def plan(quarantined: Sequence[str], nodes: Sequence[Node], config: StackConfig) -> Plan:
    """The config sets that replace every quarantined node, or every reason some cannot be."""
    by_name = {n.name: n for n in nodes}
    pools = {p.name: (i, p) for i, p in enumerate(config.pools)}
    sets: list[ConfigSet] = []
    problems: list[str] = []
    for name in quarantined:
        node = by_name.get(name)
        if node is None:
            problems.append(f"{name}: not in the inventory (already replaced? release it with "
                            f"`gpufleet quarantine release {name}`)")  # fmt: skip
            continue
        if node.pool not in pools:
            problems.append(f"{name}: its pool {node.pool!r} is not in the stack config")
            continue
        index, pool = pools[node.pool]
        if pool.mode == "cluster_network":
            if node.instance_id is None:
                problems.append(
                    f"{name}: the inventory has no instance_id for it, and pool {pool.name} "
                    "(cluster network) replaces by instance OCID: rebuild the inventory with "
                    "`gpufleet inventory --from-stack-output` (it records each node's OCID)"
                )
                continue
            key = node.instance_id
        else:
            key = node.name
        sets.append(ConfigSet(index, key, pool.replace_nodes.get(key, 0) + 1))
    return Plan(tuple(sets), tuple(problems))
