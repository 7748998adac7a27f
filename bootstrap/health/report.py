"""The health report: a verdict table for people, JSON for CI and schedulers.

Table (one row per node, errors with their remedies below)::

    NODE       POOL   VERDICT      FAILING CHECKS
    gpu-0001   train  pass
    gpu-0002   train  FAIL         gpu-count, rdma-link:mlx5_3

    gpu-0002  error  gpu-count: 7 GPUs visible, BM.GPU.H100.8 has 8
                     -> look for Xid 79 …
    2 nodes: 1 pass, 1 fail, 0 unreachable
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bootstrap.health.findings import Finding, Severity
from bootstrap.health.node_report import FAIL, PASS, UNREACHABLE, NodeReport
from bootstrap.health.pool_nccl import PoolNccl

SCHEMA = 1


def _message(f: Finding) -> str:
    return f.message + (f" (ignored: --ignore-check {f.ignored_by})" if f.ignored_by else "")


def _details(nodes: Sequence[NodeReport]) -> list[str]:
    details: list[str] = []
    for n in nodes:
        if n.unreachable_reason:
            details.append(f"{n.node}  unreachable: {n.unreachable_reason}")
        for f in n.verdict.findings:
            details.append(f"{n.node}  {f.severity}  {f.check}: {_message(f)}")
            details.append(f"{' ' * len(n.node)}  -> {f.remedy}")
    return details


def _grouped_details(nodes: Sequence[NodeReport]) -> list[str]:
    """Each distinct finding (or unreachable reason) once, with how many nodes and which."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for n in nodes:
        if n.unreachable_reason:
            groups.setdefault(("unreachable", "", n.unreachable_reason, ""), []).append(n.node)
        for f in n.verdict.findings:
            key = (str(f.severity), f.check, _message(f), f.remedy)
            groups.setdefault(key, []).append(n.node)
    details: list[str] = []
    for (severity, check, message, remedy), names in groups.items():
        shown = ", ".join(names[:5]) + (f", ... ({len(names) - 5} more)" if len(names) > 5 else "")
        count = f"{len(names)} node{'' if len(names) == 1 else 's'}"
        head = f"{severity}: {message}" if not check else f"{severity}  {check}: {message}"
        details.append(f"{count}  {head}  [{shown}]")
        if remedy:
            details.append(f"  -> {remedy}")
    return details


def exit_code(nodes: Sequence[NodeReport], pools: Sequence[PoolNccl]) -> int:
    pool_error = any(f.severity is Severity.ERROR for p in pools for f in p.findings)
    return 0 if all(n.status == PASS for n in nodes) and not pool_error else 1


def to_dict(
    nodes: Sequence[NodeReport], pools: Sequence[PoolNccl], params: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": params,
        "summary": {s: sum(n.status == s for n in nodes) for s in (PASS, FAIL, UNREACHABLE)},
        "exit_code": exit_code(nodes, pools),
        "nodes": [n.to_dict() for n in nodes],
        "pools": [p.to_dict() for p in pools],
    }


# Above this many nodes the table lists only nodes that did not pass, and findings shared by
# several nodes (the same check, message and remedy) are printed once with their node count.
LIST_ALL = 50


def render_table(nodes: Sequence[NodeReport], pools: Sequence[PoolNccl]) -> str:
    large = len(nodes) > LIST_ALL
    listed = [n for n in nodes if n.status != PASS] if large else list(nodes)
    width = max([4, *(len(n.node) for n in listed)])
    pool_w = max([4, *(len(n.pool) for n in listed)])
    rows = [f"{'NODE':<{width}}  {'POOL':<{pool_w}}  {'VERDICT':<11}  FAILING CHECKS"]
    for n in listed:
        label = {PASS: "pass", FAIL: "FAIL", UNREACHABLE: "UNREACHABLE"}[n.status]
        failing = ", ".join(n.verdict.failing_checks)
        rows.append(f"{n.node:<{width}}  {n.pool:<{pool_w}}  {label:<11}  {failing}".rstrip())
    if large:
        rows.append(f"({len(nodes) - len(listed)} passing nodes not listed: see the JSON report)")
    details = _grouped_details(nodes) if large else _details(nodes)
    for p in pools:
        for f in p.findings:
            details.append(f"pool {p.pool}  {f.severity}  {f.check}: {f.message}")
            details.append(f"  -> {f.remedy}")
    counts = {s: sum(n.status == s for n in nodes) for s in (PASS, FAIL, UNREACHABLE)}
    summary = (
        f"{len(nodes)} node{'' if len(nodes) == 1 else 's'}: {counts[PASS]} pass, "
        f"{counts[FAIL]} fail, "
        f"{counts[UNREACHABLE]} unreachable"
    )
    parts = ["\n".join(rows)]
    if details:
        parts.append("\n".join(details))
    parts.append(summary)
    return "\n\n".join(parts) + "\n"
