"""The one result contract of gpufleet: what happened on each node, and the recap.

Every outcome — a script that ran, a node that could not be reached, a node never started —
becomes a `NodeResult` with *every* field present (None/empty where it does not apply), so CI
and humans read one shape. `unreachable` is not `failed`: the first means nothing ran.

    >>> r = NodeResult.unreachable_("gpu-0001", "train", "10.0.1.17", "connect",
    ...                             "connection refused by 10.0.1.17:22", duration=0.4)
    >>> r.to_dict()["status"], r.to_dict()["exit_code"], r.to_dict()["steps"]
    ('unreachable', None, [])

Recap, as Ansible's PLAY RECAP but per pool:

    >>> recap([r])
    {'train': {'ok': 0, 'changed': 0, 'failed': 0, 'unreachable': 1, 'skipped': 0}}

Dependency-free on purpose: the bootstrap scripts' tooling and the health checks reuse it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from infra.input_file import load_json

SCHEMA_VERSION = 1
TAIL_LINES = 20


class Status(StrEnum):
    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"

    @property
    def succeeded(self) -> bool:
        return self in (Status.OK, Status.CHANGED)


STEP_STATUSES = (Status.OK, Status.CHANGED, Status.FAILED, Status.SKIPPED)


@dataclass(frozen=True)
class StepResult:
    """One JSON status line of a script: `{"step", "status", "message", "seconds"}`."""

    step: str
    status: Status
    message: str
    seconds: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        return cls(
            step=str(data["step"]),
            status=Status(data["status"]),
            message=str(data.get("message", "")),
            seconds=float(data.get("seconds", 0.0)),
        )


@dataclass(frozen=True)
class NodeResult:
    """The verdict for one node. `error_category` is one of dns / connect / auth / host-key /
    timeout / command / interrupted / connection-lost / bastion-lost / signal / locked, or None
    when nothing went wrong (see `bootstrap.ssh.errors` and `bootstrap.runner.remote_command`)."""

    node: str
    pool: str
    host: str
    status: Status
    exit_code: int | None
    duration: float
    failed_step: str | None
    output_tail: list[str]
    steps: list[StepResult]
    error_category: str | None
    error_message: str | None
    started_at: float | None = None
    log_path: str | None = None
    attempts: int = 0

    @classmethod
    def unreachable_(
        cls,
        node: str,
        pool: str,
        host: str,
        category: str,
        message: str,
        *,
        duration: float = 0.0,
        started_at: float | None = None,
        attempts: int = 0,
        log_path: str | None = None,
    ) -> NodeResult:
        return cls(
            node,
            pool,
            host,
            Status.UNREACHABLE,
            None,
            duration,
            None,
            [],
            [],
            category,
            message,
            started_at,
            log_path,
            attempts,
        )

    @classmethod
    def skipped_(cls, node: str, pool: str, host: str, reason: str) -> NodeResult:
        return cls(node, pool, host, Status.SKIPPED, None, 0.0, None, [], [], None, reason)

    def to_dict(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, which deep-copies every value: that
        # copy was 2/3 of the time spent writing results.json (400 nodes: 10.6 of 16.5 ms).
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["status"] = str(self.status)
        data["output_tail"] = list(self.output_tail)
        data["steps"] = [
            {"step": s.step, "status": str(s.status), "message": s.message, "seconds": s.seconds}
            for s in self.steps
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeResult:
        return cls(
            node=data["node"],
            pool=data["pool"],
            host=data["host"],
            status=Status(data["status"]),
            exit_code=data["exit_code"],
            duration=float(data["duration"]),
            failed_step=data["failed_step"],
            output_tail=list(data["output_tail"]),
            steps=[StepResult.from_dict(s) for s in data["steps"]],
            error_category=data["error_category"],
            error_message=data["error_message"],
            started_at=data.get("started_at"),
            log_path=data.get("log_path"),
            attempts=int(data.get("attempts", 0)),
        )


def recap(results: Iterable[NodeResult]) -> dict[str, dict[str, int]]:
    """Counts per pool and status, pools sorted, every status present."""
    table: dict[str, dict[str, int]] = {}
    for r in results:
        row = table.get(r.pool)
        if row is None:
            row = table[r.pool] = {s.value: 0 for s in Status}
        row[r.status.value] += 1
    return dict(sorted(table.items()))


def exit_code(results: Iterable[NodeResult]) -> int:
    """0 when every node is ok/changed, else 1 (failed, unreachable or never started)."""
    return 0 if all(r.status.succeeded for r in results) else 1


@dataclass
class RunReport:
    """Everything one run wrote to `logs/<run-id>/results.json`."""

    run_id: str
    kind: str  # "bootstrap" or "run"
    started_at: float
    finished_at: float | None
    params: dict[str, Any]
    results: list[NodeResult] = field(default_factory=list)
    interrupted: bool = False
    aborted: str | None = None  # why no new nodes were started (max-fail-percent), if so
    retry_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "run_id": self.run_id,
            "kind": self.kind,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "params": self.params,
            "interrupted": self.interrupted,
            "aborted": self.aborted,
            "retry_of": self.retry_of,
            "recap": recap(self.results),
            "exit_code": exit_code(self.results),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported results schema {data.get('schema')!r}")
        return cls(
            run_id=data["run_id"],
            kind=data["kind"],
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            params=data["params"],
            results=[NodeResult.from_dict(r) for r in data["results"]],
            interrupted=data["interrupted"],
            aborted=data["aborted"],
            retry_of=data.get("retry_of"),
        )

    def write(self, path: Path) -> None:
        """Write atomically, so a Ctrl-C during the write never leaves half a file."""
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> RunReport:
        return cls.from_dict(load_json(path, "results file"))
