"""Already-collected outputs on disk, judged offline (``gpufleet health --facts-dir DIR``).

Layout::

    DIR/<node>/<key>.txt          one fact per file: nvidia-smi-xml.txt, ibdev2netdev.txt,
                                  wpa-cli.rdma0.txt, … (a `# SOURCE:` first line is skipped)
    DIR/_nccl/<pool>.txt          a pool's multi-node all_reduce_perf output
    DIR/_nccl/pairs/<a>+<b>.txt   a 2-node run of nodes a and b

Node names never start with "_" nor contain "+" (inventory NAME_RE), so these never clash.
Files are read with undecodable bytes replaced, so binary garbage reaches the parser (and fails
there) instead of crashing the reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bootstrap.health.nccl.pairwise import Pair
from bootstrap.health.node_facts import Gathered, RawFact
from bootstrap.health.pool_nccl import NcclOutput, NoRun
from bootstrap.inventory.model import Node

NCCL_DIR = "_nccl"
SUFFIX = ".txt"


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def node_facts(root: Path, node: str) -> dict[str, RawFact] | None:
    """Raw facts of `node`, or None when DIR/<node>/ does not exist."""
    folder = root / node
    if not folder.is_dir():
        return None
    return {p.name[: -len(SUFFIX)]: RawFact(_read(p)) for p in sorted(folder.glob(f"*{SUFFIX}"))}


def pool_run(root: Path, pool: str) -> str | None:
    path = root / NCCL_DIR / f"{pool}{SUFFIX}"
    return _read(path) if path.is_file() else None


def pair_runs(root: Path) -> dict[Pair, str]:
    out: dict[Pair, str] = {}
    for path in sorted((root / NCCL_DIR / "pairs").glob(f"*+*{SUFFIX}")):
        a, _, b = path.name[: -len(SUFFIX)].partition("+")
        out[(a, b)] = _read(path)
    return out


class FactsDirSource:
    """`NodeSource` and `NcclSource` over a facts dir: no SSH, nothing run."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def gather(
        self,
        nodes: Sequence[Node],
        kinds_for: Callable[[Node], tuple[str, ...]],
        consume: Callable[[str, Gathered], None],
    ) -> None:
        """One node at a time: its files are read, handed over, and not kept."""
        for node in nodes:
            raw = node_facts(self.root, node.name)
            reason = None if raw is not None else f"no folder {self.root / node.name}"
            consume(node.name, Gathered(raw, reason))

    def pool_run(self, pool: str, nodes: Sequence[str]) -> NcclOutput:
        text = pool_run(self.root, pool)
        return text if text is not None else NoRun(f"no file {self.root / NCCL_DIR / pool}{SUFFIX}")

    def pair_runs(self, pairs: Sequence[Pair]) -> dict[Pair, NcclOutput]:
        stored = pair_runs(self.root)
        out: dict[Pair, NcclOutput] = {}
        for a, b in pairs:
            text = stored.get((a, b), stored.get((b, a)))
            out[(a, b)] = (
                text if text is not None else NoRun(f"no file {NCCL_DIR}/pairs/{a}+{b}{SUFFIX}")
            )
        return out
