"""The verdict a node's own health timer left in ``/var/lib/gpufleet/health.json`` (fact
`NodeHealthReport`).

The node checker (`bootstrap.nodecheck.checker`) writes it every few minutes, and so does its
wrapper when the checker cannot run (a "health-checker" error). Reading it costs one small file
per node (about 6 KB), instead of the ~350 KB of raw facts an 8-GPU node prints, and no judging
on the control host: `gpufleet health --source node-report`. Example::

    {"schema": 1, "verdict": "fail", "node": "gpu-1", "shape": "BM.GPU.H200.8",
     "checked_at": "2026-11-28T05:00:00+00:00", "errors": [{"check": "gpu-count", ...}],
     "warnings": []}

Anything but that layout (cut JSON, another schema, a finding without its check, message and
remedy strings) is a parse error, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bootstrap.facts.base import Fact, load_json, require_text
from bootstrap.facts.errors import FactParseError

KIND = "node-report"
PATH = "/var/lib/gpufleet/health.json"
COMMAND = f"timeout 10 cat {PATH}"
SCHEMA = 1


@dataclass(frozen=True)
class ReportedFinding(Fact):
    check: str
    message: str
    remedy: str


@dataclass(frozen=True)
class NodeHealthReport(Fact):
    verdict: str  # pass | fail
    node: str
    shape: str
    checked_at: str  # ISO 8601, UTC
    errors: tuple[ReportedFinding, ...]
    warnings: tuple[ReportedFinding, ...]

    def checked(self) -> datetime:
        return datetime.fromisoformat(self.checked_at.replace("Z", "+00:00")).astimezone(UTC)


def _findings(doc: dict[str, Any], key: str) -> tuple[ReportedFinding, ...]:
    raw = doc.get(key)
    if not isinstance(raw, list):
        raise FactParseError(KIND, f"'{key}' must be a list")
    out = []
    for i, entry in enumerate(raw):
        fields = [entry.get(k) if isinstance(entry, dict) else None
                  for k in ("check", "message", "remedy")]  # fmt: skip
        strings = [f for f in fields if isinstance(f, str) and f]
        if len(strings) != 3:
            raise FactParseError(KIND, f"{key}[{i}] needs string 'check', 'message', 'remedy'")
        out.append(ReportedFinding(*strings))
    return tuple(out)


def parse(text: str) -> NodeHealthReport:
    require_text(KIND, text)
    doc = load_json(KIND, text)
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise FactParseError(KIND, f"not a gpufleet node health report (schema {SCHEMA})")
    verdict, node, shape, when = (doc.get(k) for k in ("verdict", "node", "shape", "checked_at"))
    if verdict not in ("pass", "fail"):
        raise FactParseError(KIND, f"verdict {verdict!r} is neither 'pass' nor 'fail'")
    if not all(isinstance(v, str) and v for v in (node, shape, when)):
        raise FactParseError(KIND, "'node', 'shape' and 'checked_at' must be non-empty strings")
    report = NodeHealthReport(
        verdict, str(node), str(shape), str(when), _findings(doc, "errors"),
        _findings(doc, "warnings"),
    )  # fmt: skip
    try:
        report.checked()
    except ValueError:
        raise FactParseError(KIND, f"checked_at {when!r} is not an ISO 8601 time") from None
    if verdict == "pass" and report.errors:
        raise FactParseError(KIND, "verdict 'pass' with errors listed")
    return report
