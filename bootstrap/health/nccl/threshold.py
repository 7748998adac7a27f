"""Judge an ``all_reduce_perf`` result against the shape's bus-bandwidth threshold.

Thresholds come from the catalog: ``busbw_1node_gbs`` for one node, ``busbw_multinode_gbs`` for
a pool or a pair (oci-hpc active_healthcheck.py / multi_node_active_healthcheck.py: 440 GB/s for
H100/H200/B200, facts/oci.md §5.2). A run with NCCL errors, wrong results or no average is an
error; a shape with no published threshold gives a warning (nothing to compare with).

The thresholds hold for oci-hpc's message range, ``-b 1G -e 16G`` (facts/oci.md §5.2), and
nccl-tests' "Avg bus bandwidth" is the mean of every row's out-of-place and in-place busbw (the
recorded oci-hpc 2-node run: 464.075 = that mean over its five rows). A run that also covers
small messages averages in their latency-bound rows: a real 8 x H100 run from 8 B to 8 GiB
printed 145.47 while its >= 1 GiB rows ran at 464-480 GB/s (recording
tests/recorded/published/gke_a3_h100_all_reduce_perf_8gpu.txt). So the figure judged is the
same mean over the rows of at least 1 GiB; a run without such rows cannot be judged (an error
that says how to rerun).
"""

from __future__ import annotations

from bootstrap.facts.nccl_tests import NcclTestRun
from bootstrap.health.findings import Finding, error, warning
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

JUDGED_FROM_BYTES = 1 << 30  # oci-hpc runs all_reduce_perf -b 1G -e 16G (facts/oci.md §5.2)
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
    busbw, what = judged_busbw(run)
    if busbw is None:
        return [
            error(
                check,
                f"all_reduce_perf over {scope} has no message of 1 GiB or more to judge",
                "rerun with `-b 1G -e 16G -f 2` (the range the thresholds are defined for)",
            )
        ]
    if threshold is None:
        return [
            warning(
                check,
                f"{scope}: {what} {busbw} GB/s, no published threshold to judge",
                "record this figure as the baseline for the shape",
            )
        ]
    if busbw < threshold:
        return [
            error(
                check,
                f"{scope}: {what} {busbw} GB/s < threshold {threshold} GB/s",
                "run `gpufleet health --nccl pairwise` to name the slow node(s); check "
                "rdma-link, gpu-pcie and gpu-throttle findings",
            )
        ]
    return []


def judged_busbw(run: NcclTestRun) -> tuple[float | None, str]:
    """The busbw to compare with a threshold, and how to name it in a message.

    The printed average when every row is >= 1 GiB (the oci-hpc range); otherwise the mean of
    the out-of-place and in-place busbw of the rows >= 1 GiB; None when there are none.
    """
    big = [r for r in run.rows if r.size_bytes >= JUDGED_FROM_BYTES]
    if big and len(big) == len(run.rows) and run.avg_busbw_gbps is not None:
        return run.avg_busbw_gbps, "avg busbw"
    values = [v for r in big for v in (r.oop_busbw_gbps, r.ip_busbw_gbps) if v is not None]
    if not values:
        return None, ""
    return round(sum(values) / len(values), 3), "avg busbw over messages >= 1 GiB"


def check_single(facts: NodeFacts, shape: Shape) -> list[Finding]:
    run = facts.need("nccl-tests", NcclTestRun)
    return judge_run(SINGLE, run, shape.busbw_1node_gbs, "this node")
