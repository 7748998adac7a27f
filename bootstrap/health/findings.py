"""Findings, verdicts and the gate (practice 8; model: kubeadm preflight ``checks.go``).

A check returns `Finding`s: a name (``gpu-count``, ``rdma-link:mlx5_3``), a severity, what is
wrong and what to do about it. `gate` turns a node's findings into a `Verdict`: the node is
admitted only with zero errors. ``--ignore-check NAME`` downgrades matching errors to warnings,
where NAME is a full check name (``rdma-link:mlx5_3``), a family (``rdma-link``: every device)
or ``all``. Example::

    >>> f = Finding("gpu-count", Severity.ERROR, "7 GPUs visible, BM.GPU.H100.8 has 8",
    ...             "reboot; if still 7, quarantine and replace the node")
    >>> gate([f]).passed, gate([f], ignore={"gpu-count"}).passed
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

IGNORE_ALL = "all"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    check: str  # "family" or "family:subject", e.g. "rdma-link:mlx5_3"
    severity: Severity
    message: str
    remedy: str
    ignored_by: str | None = None  # the --ignore-check NAME that downgraded it

    @property
    def family(self) -> str:
        return self.check.split(":", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": str(self.severity),
            "message": self.message,
            "remedy": self.remedy,
            "ignored_by": self.ignored_by,
        }


def error(check: str, message: str, remedy: str) -> Finding:
    return Finding(check, Severity.ERROR, message, remedy)


def warning(check: str, message: str, remedy: str) -> Finding:
    return Finding(check, Severity.WARNING, message, remedy)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def failing_checks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.check for f in self.errors))


def _ignored_by(finding: Finding, ignore: set[str]) -> str | None:
    for name in (finding.check, finding.family, IGNORE_ALL):
        if name in ignore:
            return name
    return None


def gate(findings: Iterable[Finding], ignore: Iterable[str] = ()) -> Verdict:
    """Admit only with zero errors; errors matched by `ignore` become warnings (kept, marked)."""
    wanted = {name.strip().lower() for name in ignore}
    out = []
    for finding in findings:
        by = _ignored_by(finding, wanted) if finding.severity is Severity.ERROR else None
        if by is not None:
            finding = replace(finding, severity=Severity.WARNING, ignored_by=by)
        out.append(finding)
    passed = not any(f.severity is Severity.ERROR for f in out)
    return Verdict(passed=passed, findings=tuple(out))
