"""Judge one node: run every check on its gathered facts, gate, and say pass / fail /
unreachable. Unreachable is not failed (practice 5): nothing ran, so nothing was judged — but it
is not admitted either."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bootstrap.health.checks import CHECKS, NO_EXPECTATIONS, Check, NodeExpectations, run_checks
from bootstrap.health.findings import Finding, Verdict, gate
from bootstrap.health.nccl.threshold import SINGLE, check_single
from bootstrap.health.node_facts import NodeFacts, RawFact
from bootstrap.inventory.model import Node
from infra.shapes import Shape

NCCL_SINGLE_CHECK = Check(SINGLE, ("nccl-tests",), check_single)
PASS, FAIL, UNREACHABLE = "pass", "fail", "unreachable"


@dataclass(frozen=True)
class NodeReport:
    node: str
    pool: str
    shape: str
    status: str  # pass | fail | unreachable
    verdict: Verdict
    unreachable_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "pool": self.pool,
            "shape": self.shape,
            "status": self.status,
            "failing_checks": list(self.verdict.failing_checks),
            "unreachable_reason": self.unreachable_reason,
            "findings": [f.to_dict() for f in self.verdict.findings],
        }


def checks_for(nccl_single: bool, base: tuple[Check, ...] = CHECKS) -> tuple[Check, ...]:
    return (*base, NCCL_SINGLE_CHECK) if nccl_single else base


def node_findings(
    node: Node,
    raw: Mapping[str, RawFact],
    shape: Shape,
    *,
    nccl_single: bool,
    expect: NodeExpectations = NO_EXPECTATIONS,
    base: tuple[Check, ...] = CHECKS,
) -> tuple[NodeFacts, list[Finding]]:
    facts = NodeFacts(node.name, raw)
    return facts, run_checks(facts, shape, checks_for(nccl_single, base), expect)


def judge(
    node: Node, findings: Iterable[Finding], ignore: Iterable[str], *, unreachable: str | None
) -> NodeReport:
    verdict = gate(findings, ignore)
    passed = PASS if verdict.passed else FAIL
    status = UNREACHABLE if unreachable is not None else passed
    return NodeReport(node.name, node.pool, node.shape, status, verdict, unreachable)
