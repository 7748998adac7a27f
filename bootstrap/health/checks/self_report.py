"""Judge a node by the verdict its own health timer wrote (`bootstrap.facts.node_report`), for
`gpufleet health --source node-report`: the node's findings as it reported them, plus what only
the control host can see. The report must be the node's inventory shape and recent: a stale one
means the timer stopped, and a stopped timer never passes.

    >>> check = self_report_check(max_age_s=900)
    >>> check.name, check.needs
    ('node-report', ('node-report',))
"""

from __future__ import annotations

from datetime import UTC, datetime

from bootstrap.facts.node_report import PATH, NodeHealthReport
from bootstrap.health.checks import Check
from bootstrap.health.findings import Finding, error, warning
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

NAME = "node-report"
TIMER = (
    "check the node's timer: `systemctl status gpufleet-health.timer`, "
    "`journalctl -u gpufleet-health.service`; re-run `gpufleet bootstrap --only health_timer`"
)


def judge_report(report: NodeHealthReport, shape: Shape, max_age_s: float) -> list[Finding]:
    out: list[Finding] = []
    if report.shape != shape.name:
        out.append(error(NAME, f"the node checked itself as {report.shape}, the inventory "
                               f"says {shape.name}", TIMER))  # fmt: skip
    age = (datetime.now(UTC) - report.checked()).total_seconds()
    if age > max_age_s:
        out.append(error(NAME, f"{PATH} is {age / 60:.0f} min old (limit {max_age_s / 60:.0f} "
                               "min): the node's health timer is not running", TIMER))  # fmt: skip
    when = f"(node check at {report.checked_at})"
    out.extend(error(f.check, f"{f.message} {when}", f.remedy) for f in report.errors)
    out.extend(warning(f.check, f"{f.message} {when}", f.remedy) for f in report.warnings)
    if report.verdict == "fail" and not report.errors:
        out.append(error(NAME, "the node reported fail without an error", TIMER))
    return out


def self_report_check(max_age_s: float) -> Check:
    def run(facts: NodeFacts, shape: Shape) -> list[Finding]:
        return judge_report(facts.need("node-report", NodeHealthReport), shape, max_age_s)

    return Check(NAME, ("node-report",), run)
