"""The quarantine list: nodes kept out of every hostfile and inventory export until released.

Stored as JSON (by default ``quarantine.json`` beside the inventory), written atomically::

    {"schema": 1, "nodes": [{"node": "gpu-0007", "reason": "health gate",
      "checks": ["gpu-count", "rdma-link:mlx5_3"], "since": "2025-11-26T04:35:32Z"}]}

A missing file is an empty list; an unreadable or malformed one raises `QuarantineError` (never
read as empty: that would readmit every bad node). Exports call `admit` / `filter_inventory`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bootstrap.inventory.model import Inventory
from infra.input_file import InputFileError, load_json

SCHEMA = 1
FILE_NAME = "quarantine.json"


class QuarantineError(ValueError):
    """The quarantine file cannot be trusted; the message names the file and the problem."""


@dataclass(frozen=True)
class QuarantineEntry:
    node: str
    reason: str
    checks: tuple[str, ...]
    since: str  # ISO 8601 UTC

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "checks": list(self.checks)}


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_path(inventory: Path) -> Path:
    return inventory.resolve().parent / FILE_NAME


@dataclass(frozen=True)
class Quarantine:
    entries: tuple[QuarantineEntry, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(e.node for e in self.entries)

    def get(self, node: str) -> QuarantineEntry | None:
        return next((e for e in self.entries if e.node == node), None)

    def add(
        self, node: str, reason: str, checks: Sequence[str] = (), since: str | None = None
    ) -> Quarantine:
        """Add or update `node` (an update keeps the original `since`)."""
        old = self.get(node)
        entry = QuarantineEntry(node, reason, tuple(checks), since or now_utc())
        if old is not None:
            entry = replace(entry, since=old.since)
        rest = tuple(e for e in self.entries if e.node != node)
        return Quarantine(tuple(sorted((*rest, entry), key=lambda e: e.node)))

    def release(self, node: str) -> Quarantine:
        if node not in self.names:
            raise KeyError(f"{node} is not quarantined")
        return Quarantine(tuple(e for e in self.entries if e.node != node))

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "nodes": [e.to_dict() for e in self.entries]}


def admit(names: Iterable[str], quarantine: Quarantine) -> list[str]:
    """`names` without quarantined ones, order kept."""
    return [n for n in names if n not in quarantine.names]


def filter_inventory(inventory: Inventory, quarantine: Quarantine) -> Inventory:
    nodes = tuple(n for n in inventory.nodes if n.name not in quarantine.names)
    return dataclasses.replace(inventory, nodes=nodes)  # keeps every other field (pool sizes)


def _entry(path: Path, i: int, raw: Any) -> QuarantineEntry:
    if not isinstance(raw, dict):
        raise QuarantineError(f"{path}: nodes[{i}] is not an object")
    node, reason, since = raw.get("node"), raw.get("reason", ""), raw.get("since", "")
    checks = raw.get("checks", [])
    if not isinstance(node, str) or not node:
        raise QuarantineError(f"{path}: nodes[{i}]: field 'node' must be a non-empty string")
    if not (isinstance(reason, str) and isinstance(since, str)):
        raise QuarantineError(f"{path}: nodes[{i}] ({node}): 'reason'/'since' must be strings")
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise QuarantineError(f"{path}: nodes[{i}] ({node}): 'checks' must be a list of strings")
    return QuarantineEntry(node, reason, tuple(checks), since)


def load(path: Path) -> Quarantine:
    if not path.exists():
        return Quarantine()
    try:
        doc = load_json(path, "quarantine list")
    except InputFileError as exc:
        raise QuarantineError(str(exc)) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise QuarantineError(f"{path}: expected {{'schema': {SCHEMA}, 'nodes': [...]}}")
    nodes = doc.get("nodes")
    if not isinstance(nodes, list):
        raise QuarantineError(f"{path}: field 'nodes' must be a list")
    return Quarantine(tuple(_entry(path, i, raw) for i, raw in enumerate(nodes)))


def save(path: Path, quarantine: Quarantine) -> None:
    """Write atomically (a crash never leaves half a list)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(quarantine.to_dict(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
