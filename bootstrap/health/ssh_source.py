"""Facts and NCCL runs over SSH, through the fleet runner (`bootstrap.runner.run_fleet`).

Each node gets ONE command (`gather.combined_command`) whose stdout is captured in memory and
split into raw facts here; the runner still logs everything to ``logs/<run-id>/<node>.log`` and
writes ``results.json``. NCCL runs launch ``mpirun`` on the first node of a pool or pair
(Open MPI refuses root, so never under sudo), which needs the nodes' own SSH trust between them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from bootstrap.health.gather import combined_command, split_output
from bootstrap.health.nccl.mpirun import mpirun_command
from bootstrap.health.nccl.pairwise import Pair
from bootstrap.health.node_facts import Gathered
from bootstrap.health.pool_nccl import NcclOutput, NoRun
from bootstrap.inventory.model import Node
from bootstrap.results import NodeResult, Status
from bootstrap.runner import RunSettings, run_fleet
from bootstrap.runner.jobs import CommandJob
from bootstrap.ssh.connection import Connector
from infra.shapes import get_shape


def capture_job(command: str, sudo: bool = False) -> CommandJob:
    """A command whose stdout lines are all kept in `.capture` (the runner keeps only a tail)."""
    return CommandJob(command, sudo=sudo, capture=[])


def batches(pairs: Sequence[Pair]) -> list[list[Pair]]:
    """Split pairs into rounds in which no node appears twice (runs in a round go in parallel)."""
    rounds: list[list[Pair]] = []
    for pair in pairs:
        for r in rounds:
            if not any(set(pair) & set(p) for p in r):
                r.append(pair)
                break
        else:
            rounds.append([pair])
    return rounds


class SshSource:
    def __init__(
        self,
        nodes: Sequence[Node],
        make_connector: Callable[[], Connector],
        settings: RunSettings,
        logs_dir: Path,
        *,
        sudo: bool = True,
    ) -> None:
        self.by_name = {n.name: n for n in nodes}
        self.make_connector = make_connector
        self.settings = settings
        self.logs_dir = logs_dir
        self.sudo = sudo

    def _run(
        self, jobs: dict[str, CommandJob], kind: str, each: Callable[[str, str | None, str], None]
    ) -> None:
        """Run `jobs`; each node's output goes to `each(node, text or None when nothing ran,
        why)` as soon as its result is final, and its captured lines are dropped (nothing is held
        for the whole fleet). Nodes the runner never started come last, with its reason."""
        seen: set[str] = set()

        def collect(r: NodeResult) -> None:
            seen.add(r.node)
            capture = jobs[r.node].capture
            lines = capture or []
            ran = r.status.succeeded or (r.status is Status.FAILED and bool(lines))
            why = f"{r.status}: {r.error_message}" if r.error_message else str(r.status)
            text = "\n".join(lines) + "\n" if ran else None
            if capture is not None:
                capture.clear()
            each(r.node, text, why)

        report = run_fleet(
            [self.by_name[name] for name in jobs],
            lambda node: jobs[node.name],
            connector=self.make_connector(),
            settings=self.settings,
            logs_dir=self.logs_dir,
            kind=kind,
            params={"nodes": list(jobs)},
            on_result=collect,
        )
        for r in report.results:  # nodes never started (--max-fail-percent, Ctrl-C)
            if r.node not in seen:
                collect(r)

    def gather(
        self,
        nodes: Sequence[Node],
        kinds_for: Callable[[Node], tuple[str, ...]],
        consume: Callable[[str, Gathered], None],
    ) -> None:
        jobs = {
            n.name: capture_job(combined_command(kinds_for(n), get_shape(n.shape)), sudo=self.sudo)
            for n in nodes
        }

        def each(name: str, text: str | None, why: str) -> None:
            consume(
                name,
                Gathered(split_output(text), None) if text is not None else Gathered(None, why),
            )

        self._run(jobs, "health", each)

    def _mpirun(self, launcher: str, names: Sequence[str], tag: str) -> CommandJob:
        node = self.by_name[launcher]
        hosts = [self.by_name[n].host for n in names]
        # unique per run: two health runs over one pool must not share a hostfile
        hostfile = f".gpufleet-hostfile-{tag}-{secrets.token_hex(4)}"
        return capture_job(mpirun_command(get_shape(node.shape), hostfile=hostfile, hosts=hosts))

    def _texts(self, jobs: dict[str, CommandJob]) -> dict[str, NcclOutput]:
        """launcher -> its captured output, or NoRun with the runner's status and error."""
        out: dict[str, NcclOutput] = {}

        def keep(name: str, text: str | None, why: str) -> None:
            out[name] = text if text is not None else NoRun(f"mpirun on {name}: {why}")

        self._run(jobs, "health-nccl", keep)
        return out

    def pool_run(self, pool: str, nodes: Sequence[str]) -> NcclOutput:
        texts = self._texts({nodes[0]: self._mpirun(nodes[0], nodes, pool)})
        return texts.get(nodes[0], NoRun(f"the runner reported nothing for {nodes[0]}"))

    def pair_runs(self, pairs: Sequence[Pair]) -> dict[Pair, NcclOutput]:
        out: dict[Pair, NcclOutput] = {}
        for batch in batches(pairs):
            jobs = {a: self._mpirun(a, (a, b), f"{a}-{b}") for a, b in batch}
            texts = self._texts(jobs)
            out.update(
                {
                    (a, b): texts.get(a, NoRun(f"the runner reported nothing for {a}"))
                    for a, b in batch
                }
            )
        return out
