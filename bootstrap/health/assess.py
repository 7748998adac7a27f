"""A whole health run, independent of where facts come from: gather every node's facts through
a `NodeSource`, judge each node, then (if asked) run NCCL per pool over the nodes that passed and
are not quarantined, in topology order.

Sources: `bootstrap.health.facts_dir` offline, the SSH runner online (`bootstrap.commands.health`).
A source hands over each node's raw facts as soon as it has them (`consume`), and the node is
judged then: only its findings, its fabric placement and why it was unreachable are kept, never
the raw outputs of the whole fleet (about 350 KB per 8-GPU node: 4 GB at 12,500 nodes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.host_topology import parse as parse_host
from bootstrap.health.checks import CHECKS, NO_EXPECTATIONS, Check, NodeExpectations, needed_kinds
from bootstrap.health.findings import Finding, error
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
        self,
        nodes: Sequence[Node],
        kinds_for: Callable[[Node], tuple[str, ...]],
        consume: Callable[[str, Gathered], None],
    ) -> None:
        """Call `consume(node_name, gathered)` once per node (from any thread)."""
        ...


def kinds_for(
    nccl: NcclMode, base: tuple[Check, ...] | None = None
) -> Callable[[Node], tuple[str, ...]]:
    """The fact kinds to gather per node: what the shape's checks need (or `base`'s), the
    topology fact, and nccl-tests for --nccl single."""

    extra = ("nccl-tests",) if nccl == "single" else ()
    fixed = None if base is None else tuple(dict.fromkeys(k for c in base for k in c.needs))

    def kinds(node: Node) -> tuple[str, ...]:
        needed = needed_kinds(get_shape(node.shape)) if fixed is None else fixed
        return (*needed, TOPOLOGY_KIND, *extra)

    return kinds


def placement_of(node: Node, raw: Mapping[str, RawFact] | None) -> Placement | None:
    fact = (raw or {}).get(TOPOLOGY_KIND)
    if fact is None or fact.cut:
        return None
    try:
        return place(node.name, node.host, parse_host(fact.text))
    except FactParseError:
        return None


def topology_order(nodes: Sequence[Node], placed: Mapping[str, Placement | None]) -> list[str]:
    """Names in fabric order; nodes without topology facts last, by name."""
    known = [p for n in nodes if (p := placed.get(n.name)) is not None]
    unknown = sorted(n.name for n in nodes if placed.get(n.name) is None)
    return [p.node for p in order(known)] + unknown


def internal_error(exc: Exception) -> Finding:
    return error(
        "health-internal",
        f"gpufleet could not judge this node: {type(exc).__name__}: {exc}",
        "a gpufleet bug: rerun with --facts-dir on this node's collected facts and report it",
    )


@dataclass
class _Judged:
    """What is kept of each node once judged (never its raw facts)."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    placed: dict[str, Placement | None] = field(default_factory=dict)
    unreachable: dict[str, str | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def assess(
    nodes: Sequence[Node],
    source: NodeSource,
    *,
    nccl: NcclMode = "none",
    ignore: Sequence[str] = (),
    quarantine: Quarantine | None = None,
    nccl_source: NcclSource | None = None,
    expectations: Mapping[str, NodeExpectations] | None = None,
    checks: tuple[Check, ...] | None = None,
) -> tuple[list[NodeReport], list[PoolNccl]]:
    """`expectations`: per pool name, what the stack config asks beyond the shape (a pool not
    listed expects nothing extra). `checks`: run these instead of the node check table (the
    node-report source judges each node by its own timer's verdict)."""
    per_pool = expectations or {}
    by_name = {n.name: n for n in nodes}
    judged = _Judged()

    def consume(name: str, g: Gathered) -> None:
        node = by_name[name]
        if g.raw is None:
            with judged.lock:
                judged.unreachable[name] = g.reason or "no facts"
            return
        try:
            _, found = node_findings(
                node, g.raw, get_shape(node.shape), nccl_single=nccl == "single",
                expect=per_pool.get(node.pool, NO_EXPECTATIONS), base=checks or CHECKS,
            )  # fmt: skip
            placement = placement_of(node, g.raw)
        except Exception as exc:  # a bug fails this node, never the run or a worker thread
            found, placement = [internal_error(exc)], None
        with judged.lock:
            judged.findings[name] = found
            judged.placed[name] = placement
            judged.unreachable[name] = None

    source.gather(nodes, kinds_for(nccl, checks), consume)
    for node in nodes:  # a source that never reported a node: not judged, not admitted
        judged.unreachable.setdefault(node.name, "no result from the source")
    findings = judged.findings
    pools: list[PoolNccl] = []
    if nccl in ("multi", "pairwise") and nccl_source is not None:
        first = {
            n.name: judge(n, findings.get(n.name, []), ignore, unreachable=None) for n in nodes
        }
        for pool in sorted({n.pool for n in nodes}):
            members = [n for n in nodes if n.pool == pool]
            healthy = [
                n for n in members
                if judged.unreachable[n.name] is None and first[n.name].status == PASS
                and n.name not in (quarantine.names if quarantine else frozenset())
            ]  # fmt: skip
            shape = _pool_shape(members)
            result = run_pool(
                pool, topology_order(healthy, judged.placed), shape, nccl_source,
                pairwise=nccl == "pairwise",
            )  # fmt: skip
            for name, extra in result.node_findings.items():
                findings.setdefault(name, []).extend(extra)
            pools.append(result)
    reports = [
        judge(n, findings.get(n.name, []), ignore, unreachable=judged.unreachable[n.name])
        for n in nodes
    ]
    return reports, pools


def _pool_shape(members: Sequence[Node]) -> Shape:
    names = sorted({n.shape for n in members})
    if len(names) != 1:
        raise ValueError(f"pool {members[0].pool} mixes shapes {names}; NCCL needs one shape")
    return get_shape(names[0])
