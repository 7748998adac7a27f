"""Spares: of the N + k nodes a pool launched, exports keep the N best; the rest wait as spares.

The rule (`select_active`), all pure:

1. Candidates are the pool's nodes that passed the health gate (quarantined ones are already
   gone). With N or fewer candidates every one is active and there are no spares: the caller
   warns, it never fails (a short hostfile beats none).
2. Otherwise the N are filled block by block. Network blocks (within their HPC island) are taken
   largest first, ties in topology order, until N is reached: that is the fewest distinct network
   blocks that can hold N. The last network block needed is filled by its local blocks largest
   first (fewest local blocks), ties in topology order, nodes in name order.
3. A node without a placement (no IMDS host fact) counts as a network block of its own, so it
   is taken last. A network block id missing from the fact makes each local block its own
   network block (as `slurm.topology_conf` does).

Why not a sliding window over the topology-ordered list: with network blocks of 3, 1 and 3
nodes and N = 6, every window of 6 spans three network blocks; taking the two blocks of 3 spans
two. A quarantined node leaves the candidates, so the next export fills its place from the
spares by the same rule. Active nodes and spares come back in topology (hostfile) order; with
g1, g2 in one network block and g4 alone in another (g3 failed the gate)::

    >>> select_active(["g1", "g2", "g3", "g4"], placements, passing={"g1", "g2", "g4"}, n=2)
    (['g1', 'g2'], ['g4'])
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bootstrap.inventory.model import Node, PoolSize
from bootstrap.topology.placement import Placement
from infra.input_file import InputFileError, load_json

SCHEMA = 1
_UNPLACED = "\uffff"  # sorts after every real id: nodes without a placement go last


class HealthFileError(ValueError):
    """health.json cannot be trusted; never read as "everyone passed"."""


def topology_key(node: str, placements: Mapping[str, Placement]) -> tuple[str, str, str, str]:
    """Hostfile order (`hostfile.order`), nodes without a placement after all the others."""
    p = placements.get(node)
    if p is None:
        return (_UNPLACED, _UNPLACED, _UNPLACED, node)
    return (p.island or "", p.network_block or "", p.local_block, node)


def _blocks(node: str, placements: Mapping[str, Placement]) -> tuple[tuple[str, ...], str]:
    """(network block identity, local block identity) for grouping."""
    p = placements.get(node)
    if p is None:
        return ((_UNPLACED, node), f"{_UNPLACED}{node}")
    network = p.network_block if p.network_block is not None else f"rack-group-{p.local_block}"
    return ((p.island or "", network), p.local_block)


def _largest_first(groups: Mapping[Any, list[str]], placements: Mapping[str, Placement]) -> list:
    """Group keys by size, largest first; ties by the topology order of their first node."""
    return sorted(groups, key=lambda g: (-len(groups[g]), topology_key(groups[g][0], placements)))


def select_active(
    pool_nodes: Sequence[str],
    placements: Mapping[str, Placement],
    passing: Collection[str],
    n: int,
) -> tuple[list[str], list[str]]:
    """`(active, spares)`: the N most compact passing nodes and the other passing ones."""
    ordered = sorted(
        (x for x in dict.fromkeys(pool_nodes) if x in passing),
        key=lambda x: topology_key(x, placements),
    )
    if len(ordered) <= n:
        return ordered, []
    networks: dict[tuple[str, ...], list[str]] = {}
    for x in ordered:
        networks.setdefault(_blocks(x, placements)[0], []).append(x)
    chosen: set[str] = set()
    for nb in _largest_first(networks, placements):
        members = networks[nb]
        if len(chosen) + len(members) <= n:
            chosen.update(members)
        else:
            locals_: dict[str, list[str]] = {}
            for x in members:
                locals_.setdefault(_blocks(x, placements)[1], []).append(x)
            for lb in _largest_first(locals_, placements):
                chosen.update(locals_[lb][: n - len(chosen)])
                if len(chosen) == n:
                    break
        if len(chosen) == n:
            break
    return [x for x in ordered if x in chosen], [x for x in ordered if x not in chosen]


@dataclass(frozen=True)
class PoolSelection:
    """One pool's outcome. `requested` is None when the inventory records no N for the pool:
    then every passing node is active."""

    pool: str
    requested: int | None
    active: tuple[str, ...]
    spares: tuple[str, ...]
    not_passing: tuple[str, ...]

    @property
    def short_by(self) -> int:
        return max(0, (self.requested or 0) - len(self.active))

    def recap(self) -> str:
        """``pool h100: 64 active, 2 spares ready: h100-0013, h100-0040``"""
        head = f"pool {self.pool}: {len(self.active)} active"
        if self.requested is None:
            return f"{head} (no nodes_requested recorded: every passing node kept)"
        if self.spares:
            return f"{head}, {len(self.spares)} spares ready: {', '.join(self.spares)}"
        return f"{head} of {self.requested} requested, no spares left"

    def warning(self) -> str | None:
        if not self.short_by:
            return None
        return (
            f"pool {self.pool}: only {len(self.active)} passing nodes for {self.requested} "
            f"requested; exporting all {len(self.active)}, {self.short_by} short. Replace the "
            "failed nodes: bump them in the pool's `replace_nodes` stack key (`gpufleet "
            "quarantine replace` prints the commands) and `pulumi up`"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes_requested": self.requested,
            "active": list(self.active),
            "spares": list(self.spares),
            "short_by": self.short_by,
            "not_passing": list(self.not_passing),
        }


@dataclass(frozen=True)
class Selection:
    pools: tuple[PoolSelection, ...]

    @property
    def active(self) -> frozenset[str]:
        return frozenset(x for p in self.pools for x in p.active)

    def to_dict(self) -> dict[str, Any]:
        """The ``--spares`` file: ``{"schema": 1, "pools": {"h100": {"nodes_requested": 64,
        "active": [...], "spares": ["h100-0013"], "short_by": 0, "not_passing": [...]}}}``"""
        return {"schema": SCHEMA, "pools": {p.pool: p.to_dict() for p in self.pools}}


def select_pools(
    nodes: Iterable[Node],
    sizes: Mapping[str, PoolSize],
    placements: Mapping[str, Placement],
    passing: Collection[str] | None,
) -> Selection:
    """`select_active` per pool. `passing` None: no health verdicts, every node counts as
    passing. Pools without a recorded size keep every passing node."""
    by_pool: dict[str, list[str]] = {}
    for node in nodes:
        by_pool.setdefault(node.pool, []).append(node.name)
    out = []
    for pool in sorted(by_pool):
        names = by_pool[pool]
        ok = set(names) if passing is None else {x for x in names if x in passing}
        size = sizes.get(pool)
        n = size.nodes_requested if size is not None else len(names)
        active, spares = select_active(names, placements, ok, n)
        failed = tuple(x for x in names if x not in ok)
        requested = size.nodes_requested if size is not None else None
        out.append(PoolSelection(pool, requested, tuple(active), tuple(spares), failed))
    return Selection(tuple(out))


def passing_from_health(doc: Any, label: str) -> frozenset[str]:
    """Names with status "pass" in a `gpufleet health` report (`bootstrap.health.report`)."""
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        raise HealthFileError(f"{label}: expected a gpufleet health report with a 'nodes' list")
    passing = set()
    for i, entry in enumerate(nodes):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("node"), str)
            and isinstance(entry.get("status"), str)
        ):
            raise HealthFileError(f"{label}: nodes[{i}] needs string fields 'node' and 'status'")
        if entry["status"] == "pass":
            passing.add(entry["node"])
    return frozenset(passing)


@dataclass(frozen=True)
class HealthReport:
    passing: frozenset[str]
    checked_at: datetime | None  # None: a report written before reports carried the time


def read_health(path: Path) -> HealthReport | None:
    """A health report's passing names and time; None when the file does not exist."""
    if not path.exists():
        return None
    try:
        doc = load_json(path, "health report")
    except InputFileError as exc:
        raise HealthFileError(str(exc)) from None
    passing = passing_from_health(doc, str(path))
    stamp = doc.get("checked_at")
    try:
        checked = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        raise HealthFileError(f"{path}: checked_at {stamp!r} is not an ISO time") from None
    return HealthReport(passing, checked)


def read_passing(path: Path) -> frozenset[str] | None:
    """Passing node names from a health report; None when the file does not exist."""
    report = read_health(path)
    return None if report is None else report.passing
