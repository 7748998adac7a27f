"""The validated inventory: who to reach, through which bastion, with which key.

Built only by `bootstrap.inventory.load` (which validates); everything here is already checked
and every path is absolute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Bastion:
    host: str
    port: int
    user: str


@dataclass(frozen=True)
class SshSettings:
    user: str
    identity_file: Path | None  # None: use ssh-agent
    known_hosts: Path
    bastion: Bastion | None


@dataclass(frozen=True)
class Node:
    name: str
    host: str
    port: int
    user: str
    pool: str
    shape: str
    instance_id: str | None = None  # the OCI instance OCID, when the stack output gave it


@dataclass(frozen=True)
class PoolSize:
    """What the stack asked of a pool: `nodes_requested` (N) plus `spares` (k) launched."""

    nodes_requested: int
    spares: int = 0


@dataclass(frozen=True)
class Inventory:
    source: Path | None
    ssh: SshSettings
    nodes: tuple[Node, ...]
    # pool -> PoolSize, only for pools the stack recorded it for (older inventories: none).
    pool_sizes: Mapping[str, PoolSize] = field(default_factory=dict, hash=False)
    # pool -> per-GPU power cap in watts, only for pools whose config sets gpu_power_cap_w.
    pool_power_caps: Mapping[str, int] = field(default_factory=dict, hash=False)

    @property
    def pools(self) -> list[str]:
        return sorted({n.pool for n in self.nodes})

    def select(self, *, pool: str | None = None, limit: Iterable[str] | None = None) -> Inventory:
        """Nodes of `pool` (if given) whose names are in `limit` (if given), order kept.
        Raises ValueError naming unknown pools or node names."""
        nodes = self.nodes
        if pool is not None:
            if pool not in self.pools:
                raise ValueError(f"unknown pool {pool!r}; pools in inventory: {self.pools}")
            nodes = tuple(n for n in nodes if n.pool == pool)
        if limit is not None:
            wanted = list(dict.fromkeys(limit))
            names = {n.name for n in nodes}
            unknown = [w for w in wanted if w not in names]
            if unknown:
                raise ValueError(f"--limit names nodes not in the selection: {', '.join(unknown)}")
            keep = set(wanted)
            nodes = tuple(n for n in nodes if n.name in keep)
        return replace(self, nodes=nodes)
