"""Judge an ``all_reduce_perf`` result against the shape's bus-bandwidth threshold.

Thresholds come from the catalog: ``busbw_1node_gbs`` for one node, ``busbw_multinode_gbs`` for
a pool or a pair (oci-hpc active_healthcheck.py / multi_node_active_healthcheck.py: 440 GB/s for
H100/H200/B200, facts/oci.md §5.2). A run with NCCL errors, wrong results or no average is an
error; a shape with no published threshold gives a warning (nothing to compare with).
"""

from __future__ import annotations

from bootstrap.facts.nccl_tests import NcclTestRun
from bootstrap.health.findings import Finding, error, warning
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

SINGLE = "nccl-busbw"
POOL = "nccl-pool"
PAIR = "nccl-pair"


def judge_run(check: str, run: NcclTestRun, threshold: float | None, scope: str) -> list[Finding]:
    """Findings for one all_reduce_perf run over `scope` ("this node", "pool train", …)."""
    if not run.completed or run.avg_busbw_gbps is None:
        lines = "; ".join(run.errors[:3]) or "no average printed"
        return [
            error(
                check,
                f"all_reduce_perf over {scope} failed: {lines}",
                "rerun with NCCL_DEBUG=INFO; check the rdma-link and dot1x findings of the nodes",
            )
        ]
    wrong = sum((r.oop_wrong or 0) + (r.ip_wrong or 0) for r in run.rows) + (run.out_of_bounds or 0)
    if wrong:
        return [
            error(
                check,
                f"all_reduce_perf over {scope} returned wrong results ({wrong} values)",
                "silent data corruption: run the GPU checks per node, quarantine the culprit",
            )
        ]
    if threshold is None:
        return [
            warning(
                check,
                f"{scope}: avg busbw {run.avg_busbw_gbps} GB/s, no published threshold to judge",
                "record this figure as the baseline for the shape",
            )
        ]
    if run.avg_busbw_gbps < threshold:
        return [
            error(
                check,
                f"{scope}: avg busbw {run.avg_busbw_gbps} GB/s < threshold {threshold} GB/s",
                "run `gpufleet health --nccl pairwise` to name the slow node(s); check "
                "rdma-link, gpu-pcie and gpu-throttle findings",
            )
        ]
    return []


def check_single(facts: NodeFacts, shape: Shape) -> list[Finding]:
    run = facts.need("nccl-tests", NcclTestRun)
    return judge_run(SINGLE, run, shape.busbw_1node_gbs, "this node")
