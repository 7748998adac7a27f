"""Pool-level NCCL: one multi-node all_reduce over the healthy nodes in topology order and, when
it is below threshold (or when asked), the pairwise plan that names the slow nodes.

Where results come from is a seam (`NcclSource`): over SSH the runner launches mpirun on the
first node; offline they are files in the facts dir. A run that is missing or unparseable counts
as failed (0 GB/s) — never as a pass. A source that has no output says why (`NoRun`: the
runner's status and error, or the missing file), and the finding carries that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.nccl_tests import NcclTestRun
from bootstrap.facts.nccl_tests import parse as parse_nccl
from bootstrap.health.findings import Finding, Severity, error, warning
from bootstrap.health.nccl.pairwise import Pair, classify, first_round, follow_up
from bootstrap.health.nccl.threshold import PAIR, POOL, judge_run, judged_busbw
from infra.shapes import Shape


@dataclass(frozen=True)
class NoRun:
    """No all_reduce_perf output, and why ("failed: exit code 2 ...", "no file ...")."""

    reason: str


NcclOutput = str | NoRun


class NcclSource(Protocol):
    def pool_run(self, pool: str, nodes: Sequence[str]) -> NcclOutput: ...

    def pair_runs(self, pairs: Sequence[Pair]) -> dict[Pair, NcclOutput]: ...


@dataclass
class PoolNccl:
    pool: str
    order: list[str]
    findings: list[Finding] = field(default_factory=list)
    pairs: dict[Pair, float] = field(default_factory=dict)
    unmeasured: dict[Pair, str] = field(default_factory=dict)  # pair -> why it has no result
    node_findings: dict[str, list[Finding]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "order": self.order,
            "findings": [f.to_dict() for f in self.findings],
            "pairs": [{"nodes": list(p), "busbw_gbs": bw} for p, bw in self.pairs.items()],
            "unmeasured": [{"nodes": list(p), "reason": r} for p, r in self.unmeasured.items()],
        }


def _parse(text: NcclOutput) -> NcclTestRun | str:
    if isinstance(text, NoRun):
        return f"no result ({text.reason})"
    try:
        return parse_nccl(text)
    except FactParseError as exc:
        return f"unparseable output: {exc.reason}"


def _busbw(text: str) -> float:
    run = _parse(text)
    if isinstance(run, str) or not run.completed or run.avg_busbw_gbps is None:
        return 0.0
    return judged_busbw(run)[0] or 0.0


def run_pool(
    pool: str, order: Sequence[str], shape: Shape, source: NcclSource, *, pairwise: bool
) -> PoolNccl:
    out = PoolNccl(pool, list(order))
    if len(order) < 2:
        out.findings.append(
            warning(
                POOL,
                f"pool {pool}: {len(order)} healthy node(s), no multi-node run",
                "fix or replace failed nodes, then rerun",
            )
        )
        return out
    if not pairwise:
        run = _parse(source.pool_run(pool, order))
        scope = f"pool {pool} ({len(order)} nodes)"
        if isinstance(run, str):
            out.findings.append(
                error(POOL, f"{scope}: {run}", "run the multi-node all_reduce_perf again")
            )
        else:
            out.findings.extend(judge_run(POOL, run, shape.busbw_multinode_gbs, scope))
        if not any(f.severity is Severity.ERROR for f in out.findings):
            return out
    threshold = shape.busbw_multinode_gbs
    if threshold is None:
        out.findings.append(
            warning(
                PAIR,
                f"{shape.name} has no multi-node threshold; pairs not judged",
                "record a baseline for the shape",
            )
        )
        return out
    _pairwise(out, shape, source, threshold)
    return out


def _pairwise(out: PoolNccl, shape: Shape, source: NcclSource, threshold: float) -> None:
    # A missing result (NoRun) is "not measured": it neither clears nor convicts anyone.
    tried: set[frozenset[str]] = set()
    plan = first_round(out.order)
    while plan:
        tried.update(frozenset(p) for p in plan)
        for pair, text in source.pair_runs(plan).items():
            if isinstance(text, NoRun):
                out.unmeasured[pair] = text.reason
            else:
                out.pairs[pair] = _busbw(text)
        plan = [
            p
            for p in follow_up(out.order, out.pairs, threshold, out.unmeasured)
            if frozenset(p) not in tried
        ]
    verdict = classify(out.order, out.pairs, threshold)
    for node in verdict.slow:
        worst = ", ".join(f"{p}: {bw} GB/s" for p, bw in verdict.evidence[node])
        out.node_findings.setdefault(node, []).append(
            error(
                PAIR,
                f"slow in 2-node all_reduce with cleared partners ({worst}) < {threshold} GB/s",
                "check this node's RDMA links (`mlxlink`), PCIe width and throttling; "
                "quarantine and replace it if it stays slow",
            )
        )
    for node in verdict.undetermined:
        seen = verdict.evidence.get(node)
        missing = [f"{'+'.join(p)}: {r}" for p, r in out.unmeasured.items() if node in p]
        why = (
            f"only in slow pairs ({', '.join(f'{p}: {bw} GB/s' for p, bw in seen)})"
            if seen
            else "not measured" + (f" ({'; '.join(missing)})" if missing else "")
        )
        out.node_findings.setdefault(node, []).append(
            error(
                PAIR,
                f"not cleared by the pairwise runs: {why}",
                "rerun pairwise once some nodes are cleared; if none ever clear, suspect the "
                "fabric or the NCCL settings, not a node",
            )
        )
