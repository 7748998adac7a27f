"""A whole health run, independent of where facts come from: gather every node's facts through
a `NodeSource`, judge each node, then (if asked) run NCCL per pool over the nodes that passed and
are not quarantined, in topology order.

Sources: `bootstrap.health.facts_dir` offline, the SSH runner online (`bootstrap.commands.health`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.host_topology import parse as parse_host
from bootstrap.health.checks import NO_EXPECTATIONS, NodeExpectations, needed_kinds
from bootstrap.health.findings import Finding
from bootstrap.health.node_facts import Gathered, RawFact
from bootstrap.health.node_report import PASS, NodeReport, judge, node_findings
from bootstrap.health.pool_nccl import NcclSource, PoolNccl, run_pool
from bootstrap.health.quarantine import Quarantine
from bootstrap.inventory.model import Node
from bootstrap.topology import Placement, order, place
from infra.shapes import Shape, get_shape

NcclMode = Literal["none", "single", "multi", "pairwise"]
NCCL_MODES: tuple[NcclMode, ...] = ("none", "single", "multi", "pairwise")
TOPOLOGY_KIND = "imds-host"


class NodeSource(Protocol):
    def gather(
        self, nodes: Sequence[Node], kinds_for: Callable[[Node], tuple[str, ...]]
    ) -> dict[str, Gathered]: ...


def kinds_for(nccl: NcclMode) -> Callable[[Node], tuple[str, ...]]:
    def kinds(node: Node) -> tuple[str, ...]:
        extra = ("nccl-tests",) if nccl == "single" else ()
        return (*needed_kinds(get_shape(node.shape)), TOPOLOGY_KIND, *extra)

    return kinds


def placement_of(node: Node, raw: Mapping[str, RawFact] | None) -> Placement | None:
    fact = (raw or {}).get(TOPOLOGY_KIND)
    if fact is None or fact.cut:
        return None
    try:
        return place(node.name, node.host, parse_host(fact.text))
    except FactParseError:
        return None


def topology_order(nodes: Sequence[Node], gathered: Mapping[str, Gathered]) -> list[str]:
    """Names in fabric order; nodes without topology facts last, by name."""
    placed = {n.name: placement_of(n, gathered[n.name].raw) for n in nodes}
    known = [p for p in placed.values() if p is not None]
    unknown = sorted(name for name, p in placed.items() if p is None)
    return [p.node for p in order(known)] + unknown


def assess(
    nodes: Sequence[Node],
    source: NodeSource,
    *,
    nccl: NcclMode = "none",
    ignore: Sequence[str] = (),
    quarantine: Quarantine | None = None,
    nccl_source: NcclSource | None = None,
    expectations: Mapping[str, NodeExpectations] | None = None,
) -> tuple[list[NodeReport], list[PoolNccl]]:
    """`expectations`: per pool name, what the stack config asks beyond the shape (a pool not
    listed expects nothing extra)."""
    gathered = source.gather(nodes, kinds_for(nccl))
    per_pool = expectations or {}
    findings: dict[str, list[Finding]] = {}
    for node in nodes:
        g = gathered[node.name]
        if g.raw is not None:
            _, findings[node.name] = node_findings(
                node, g.raw, get_shape(node.shape), nccl_single=nccl == "single",
                expect=per_pool.get(node.pool, NO_EXPECTATIONS),
            )  # fmt: skip
    pools: list[PoolNccl] = []
    if nccl in ("multi", "pairwise") and nccl_source is not None:
        first = {
            n.name: judge(n, findings.get(n.name, []), ignore, unreachable=None) for n in nodes
        }
        for pool in sorted({n.pool for n in nodes}):
            members = [n for n in nodes if n.pool == pool]
            healthy = [
                n for n in members
                if gathered[n.name].raw is not None and first[n.name].status == PASS
                and n.name not in (quarantine.names if quarantine else frozenset())
            ]  # fmt: skip
            shape = _pool_shape(members)
            result = run_pool(
                pool, topology_order(healthy, gathered), shape, nccl_source,
                pairwise=nccl == "pairwise",
            )  # fmt: skip
            for name, extra in result.node_findings.items():
                findings.setdefault(name, []).extend(extra)
            pools.append(result)
    reports = [
        judge(n, findings.get(n.name, []), ignore, unreachable=gathered[n.name].reason
              if gathered[n.name].raw is None else None)
        for n in nodes
    ]  # fmt: skip
    return reports, pools


def _pool_shape(members: Sequence[Node]) -> Shape:
    names = sorted({n.shape for n in members})
    if len(names) != 1:
        raise ValueError(f"pool {members[0].pool} mixes shapes {names}; NCCL needs one shape")
    return get_shape(names[0])
