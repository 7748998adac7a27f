"""Each node's output the way `ansible -m shell` shows it, grouped: nodes whose status, exit
code and output are the same are printed once, so 500 identical `nvidia-smi -L` answers are
one block and the odd node stands out. Bounded: at most `MAX_GROUPS` blocks (failures first,
then the largest), `MAX_NAMES` node names per block, and each node's kept tail (20 lines).

    node-0000,node-0001 (2 nodes) | CHANGED | rc=0 >>
    GPU 0: NVIDIA H100 80GB HBM3
    node-0002 | FAILED | rc=3 >>
    dkms: error: build failed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape

from bootstrap.results import NodeResult, Status

MAX_GROUPS = 20
MAX_NAMES = 8
_STYLE = {
    Status.OK: "green",
    Status.CHANGED: "yellow",
    Status.FAILED: "red",
    Status.UNREACHABLE: "magenta",
    Status.SKIPPED: "dim",
}


@dataclass
class OutputGroup:
    status: Status
    exit_code: int | None
    lines: tuple[str, ...]
    nodes: list[str] = field(default_factory=list)

    @property
    def header(self) -> str:
        shown = ",".join(self.nodes[:MAX_NAMES])
        if len(self.nodes) > MAX_NAMES:
            shown += f",... (+{len(self.nodes) - MAX_NAMES} more)"
        count = f" ({len(self.nodes)} nodes)" if len(self.nodes) > 1 else ""
        rc = f" | rc={self.exit_code}" if self.exit_code is not None else ""
        return f"{shown}{count} | {self.status.upper()}{rc} >>"


def group_outputs(results: Sequence[NodeResult]) -> list[OutputGroup]:
    """Nodes with the same status, exit code and output in one group; groups in order of
    first appearance. Unreachable and skipped nodes show their reason as output."""
    groups: dict[tuple[Status, int | None, tuple[str, ...]], OutputGroup] = {}
    for r in results:
        lines = tuple(r.output_tail) if r.status.succeeded or r.status is Status.FAILED else ()
        if not lines and r.error_message:
            lines = (r.error_message,)
        key = (r.status, r.exit_code, lines)
        groups.setdefault(key, OutputGroup(r.status, r.exit_code, lines)).nodes.append(r.node)
    return list(groups.values())


def print_outputs(results: Sequence[NodeResult], console: Console) -> None:
    groups = group_outputs(results)
    # failures are never the ones left out; among the rest, the biggest say what is normal
    shown = sorted(groups, key=lambda g: (g.status.succeeded, -len(g.nodes)))[:MAX_GROUPS]
    for group in sorted(shown, key=groups.index):
        console.print(f"[{_STYLE[group.status]}]{escape(group.header)}", soft_wrap=True)
        for line in group.lines:
            console.print(line, soft_wrap=True, highlight=False, markup=False)
    if len(groups) > MAX_GROUPS:
        hidden = sum(len(g.nodes) for g in groups if g not in shown)
        console.print(
            f"... {len(groups) - MAX_GROUPS} more distinct outputs ({hidden} nodes): "
            "see each node's log in the run folder"
        )
