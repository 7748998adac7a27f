"""The raw outputs gathered from one node, parsed on demand into typed facts.

Keys are fact kinds from `bootstrap.facts.registry.FACTS` (``ibdev2netdev``, ``nvidia-smi-xml``…),
or ``<kind>.<subject>`` for a per-interface fact (``wpa-cli.rdma0``). A check asks for what it
needs with `NodeFacts.need`; a fact that was not gathered or does not parse raises
`FactUnavailable`, which the check runner turns into an error finding (never a pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from bootstrap.facts.base import Fact, strip_provenance
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.gpus import GpuInventory
from bootstrap.facts.registry import FACTS

T = TypeVar("T", bound=Fact)


class FactUnavailable(Exception):
    """A fact a check needs is missing or unparseable; `key` names it, `reason` says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"fact {key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class RawFact:
    text: str
    exit_code: int | None = None  # None: unknown (read from a facts dir)
    cut: bool = False  # the output stopped before the command's end marker


@dataclass(frozen=True)
class Gathered:
    """One node's raw facts by key, or why there are none (unreachable, no folder)."""

    raw: Mapping[str, RawFact] | None
    reason: str | None = None


def kind_of(key: str) -> str:
    """'wpa-cli.rdma0' -> 'wpa-cli'; 'ibdev2netdev' -> 'ibdev2netdev'."""
    return key.split(".", 1)[0] if key.split(".", 1)[0] in FACTS else key


@dataclass
class NodeFacts:
    node: str
    raw: Mapping[str, RawFact]
    _parsed: dict[str, Fact | FactUnavailable] = field(default_factory=dict, repr=False)

    def has(self, key: str) -> bool:
        return key in self.raw

    def keys_with_prefix(self, kind: str) -> list[str]:
        return sorted(k for k in self.raw if k.startswith(f"{kind}."))

    def need(self, key: str, expected: type[T]) -> T:
        """The parsed fact `key`, or FactUnavailable (missing, parse error, wrong type)."""
        if key not in self._parsed:
            self._parsed[key] = self._parse(key)
        value = self._parsed[key]
        if isinstance(value, FactUnavailable):
            raise value
        if not isinstance(value, expected):
            raise FactUnavailable(key, f"parsed as {type(value).__name__}, not {expected.__name__}")
        return value

    def _parse(self, key: str) -> Fact | FactUnavailable:
        raw = self.raw.get(key)
        if raw is None:
            return FactUnavailable(key, "not gathered")
        kind = FACTS.get(kind_of(key))
        if kind is None:
            return FactUnavailable(key, "unknown fact kind")
        if raw.cut:
            return FactUnavailable(key, "output cut before the command finished")
        status = "" if raw.exit_code in (None, 0) else f" (command exit code {raw.exit_code})"
        if status and not strip_provenance(raw.text).strip():
            # Nothing to parse: say why the command failed, not that "" is unparseable (an
            # empty output can be a valid answer, e.g. no NVLinks, only when the command worked).
            return FactUnavailable(key, f"command failed{_exit_meaning(raw.exit_code)}, no output")
        try:
            return kind.parse(strip_provenance(raw.text))
        except FactParseError as exc:
            return FactUnavailable(key, f"unparseable output{status}: {exc.reason}")


def _exit_meaning(code: int | None) -> str:
    """' (exit 127: command not found)' for the shell's and timeout(1)'s well-known codes."""
    known = {124: "timed out", 126: "not executable", 127: "command not found"}
    return f" (exit {code}: {known[code]})" if code in known else f" (exit {code})"


GPU_KEYS = ("nvidia-smi-xml", "nvidia-smi")


def gpu_inventory(facts: NodeFacts) -> GpuInventory:
    """GPUs from the XML output when gathered (it carries ECC, row remap, PCIe), else the table."""
    key = next((k for k in GPU_KEYS if facts.has(k)), GPU_KEYS[0])
    return facts.need(key, GpuInventory)
