"""Run the node's own health checks and write the verdict to ``/var/lib/gpufleet/health.json``.

Runs ON the node, from the zipapp that `bootstrap.nodecheck.zipapp` builds: it may import only
the standard library, `bootstrap.facts`, `bootstrap.health.{checks,findings,node_facts}` and
`infra.shapes` (the zipapp holds nothing else). It is the same pipeline as `gpufleet health`
over SSH, with the transport swapped for a local ``sh -c``: each fact kind's ``COMMAND`` from
`bootstrap.facts.registry.FACTS` (each already bounded by ``timeout N``), the pure parsers,
`run_checks` for the shape's expected values, `gate`. Only passive facts run here: NCCL tests
(``nccl-tests``) need the GPUs and are never part of the periodic check.

Usage (what ``/usr/local/sbin/gpufleet-health`` runs)::

    python3.11 -I -S gpufleet-health.pyz --shape BM.GPU.H100.8 --pool h100 \\
        [--gpu-power-cap-w 500] [--out /var/lib/gpufleet/health.json] [--ignore-check NAME ...]

``--gpu-power-cap-w`` is the pool's ``gpu_power_cap_w`` (rendered into the wrapper only when the
pool sets one): the gpu-power-cap check then wants every GPU to enforce it.

health.json (written atomically: a temp file in the same folder, then rename)::

    {"schema": 1, "verdict": "fail", "node": "gpu-1", "pool": "h100",
     "shape": "BM.GPU.H100.8", "checked_at": "2025-01-01T00:00:00Z", "seconds": 4.2,
     "expect": {"gpu_power_cap_w": null},
     "failing_checks": ["rdma-link:mlx5_3"],
     "errors": [{"check": "rdma-link:mlx5_3", "severity": "error",
                 "message": "RDMA link mlx5_3 (rdma3) is Down", "remedy": "inspect with ...",
                 "ignored_by": null}],
     "warnings": [], "facts": {"ibdev2netdev": {"exit_code": 0, "cut": false}, ...}}

Exit codes: 0 pass, 1 fail (any error finding, including a fact that could not be gathered or
parsed: never a pass), 2 usage error or health.json not writable.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bootstrap.facts import dot1x
from bootstrap.facts.registry import FACTS
from bootstrap.health.checks import (
    CHECKS,
    NO_EXPECTATIONS,
    NodeExpectations,
    needed_kinds,
    run_checks,
)
from bootstrap.health.checks.rdma import rdma_netdevs
from bootstrap.health.findings import Verdict, gate
from bootstrap.health.node_facts import FactUnavailable, NodeFacts, RawFact
from infra.shapes import CATALOG, Shape

SCHEMA = 1
OUT_PATH = "/var/lib/gpufleet/health.json"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# Each COMMAND bounds itself with `timeout N`; this backstop catches a command that ignores
# SIGTERM (an nvidia-smi stuck in the driver) so one hung tool cannot hang the whole check.
BACKSTOP_S = 15
LONGEST_S = 60  # no periodic fact command takes longer than this under its own `timeout`
PER_INTERFACE = "wpa-cli"  # gathered once per RDMA netdev, as key wpa-cli.<netdev>

Runner = Callable[[str, float], RawFact]


def run_sh(command: str, limit_s: float) -> RawFact:
    """One fact COMMAND under ``/bin/sh -c``: its stdout, exit code; cut if it overran."""
    env = dict(os.environ, LC_ALL="C")
    try:
        # Own process group: on overrun the whole pipeline goes, not just sh (a child left
        # holding stdout would otherwise keep us waiting for EOF).
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:  # /bin/sh itself missing or not executable
        return RawFact(f"# gpufleet: cannot run /bin/sh: {exc}\n", 127)
    try:
        out, _ = proc.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return RawFact(out.decode("utf-8", errors="replace"), None, cut=True)
    # Undecodable bytes become U+FFFD, which every parser rejects as garbage (never a pass).
    return RawFact(out.decode("utf-8", errors="replace"), proc.returncode)


@dataclass(frozen=True)
class Probe:
    key: str  # fact key: a FACTS kind, or wpa-cli.<netdev>
    command: str


def probes(shape: Shape, kinds: Sequence[str] | None = None) -> list[Probe]:
    """The commands for every fact kind the shape's checks need, except the per-interface ones
    (they need the RDMA netdev names first: see `interface_probes`)."""
    wanted = needed_kinds(shape) if kinds is None else kinds
    return [Probe(k, FACTS[k].command) for k in wanted if k != PER_INTERFACE and k in FACTS]


def interface_probes(node: str, raw: dict[str, RawFact], shape: Shape) -> list[Probe]:
    """wpa-cli per RDMA netdev, named from the gathered ibdev2netdev (the same mapping the dot1x
    check uses); none when ibdev2netdev is unavailable (the checks then report that)."""
    if PER_INTERFACE not in needed_kinds(shape):
        return []
    try:
        netdevs = rdma_netdevs(NodeFacts(node, raw), shape)
    except FactUnavailable:
        return []
    return [
        Probe(f"{PER_INTERFACE}.{nd}", dot1x.COMMAND.format(interface=shlex.quote(nd)))
        for nd in sorted(set(netdevs.values()))
    ]


def gather(node: str, shape: Shape, run: Runner = run_sh) -> dict[str, RawFact]:
    """Raw facts by key, gathered locally, one command at a time (never in parallel: the
    checks must not load a node that is training)."""
    limit = LONGEST_S + BACKSTOP_S
    raw: dict[str, RawFact] = {}
    for probe in probes(shape):
        raw[probe.key] = run(probe.command, limit)
    for probe in interface_probes(node, raw, shape):
        raw[probe.key] = run(probe.command, limit)
    return raw


def judge(
    node: str,
    raw: dict[str, RawFact],
    shape: Shape,
    ignore: Sequence[str] = (),
    expect: NodeExpectations = NO_EXPECTATIONS,
) -> Verdict:
    """Every applicable check over the facts, gated: the same verdict `gpufleet health` gives."""
    return gate(run_checks(NodeFacts(node, raw), shape, CHECKS, expect), ignore)


def report(
    *,
    node: str,
    pool: str,
    shape: Shape,
    verdict: Verdict,
    raw: dict[str, RawFact],
    checked_at: datetime,
    seconds: float,
    expect: NodeExpectations = NO_EXPECTATIONS,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "verdict": "pass" if verdict.passed else "fail",
        "node": node,
        "pool": pool,
        "shape": shape.name,
        "checked_at": checked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(seconds, 3),
        "expect": {"gpu_power_cap_w": expect.gpu_power_cap_w},
        "failing_checks": list(verdict.failing_checks),
        "errors": [f.to_dict() for f in verdict.errors],
        "warnings": [f.to_dict() for f in verdict.warnings],
        "facts": {k: {"exit_code": r.exit_code, "cut": r.cut} for k, r in sorted(raw.items())},
    }


def write_atomic(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one: temp file + fsync + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # schedulers and operators read it without root
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _watts(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of watts >= 1")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpufleet-health", description="Run this node's gpufleet health checks."
    )
    p.add_argument("--shape", required=True, help="the OCI shape this node was rendered for")
    p.add_argument("--pool", default="", help="the pool name, reported as is")
    p.add_argument(
        "--gpu-power-cap-w",
        type=_watts,
        default=None,
        metavar="W",
        help="the pool's per-GPU power cap: every GPU must enforce it (within 1 W)",
    )
    p.add_argument("--out", default=OUT_PATH, help=f"where to write the verdict ({OUT_PATH})")
    p.add_argument(
        "--ignore-check",
        action="append",
        default=[],
        metavar="NAME",
        help="downgrade this check's errors to warnings (full name, family or 'all')",
    )
    return p


def main(argv: Sequence[str] | None = None, run: Runner = run_sh) -> int:
    args = _parser().parse_args(argv)
    shape = CATALOG.get(args.shape)
    if shape is None:
        print(f"gpufleet-health: unknown shape {args.shape!r}", file=sys.stderr)
        return EXIT_USAGE
    node = socket.gethostname()
    started = time.monotonic()
    checked_at = datetime.now(UTC)
    expect = NodeExpectations(gpu_power_cap_w=args.gpu_power_cap_w)
    raw = gather(node, shape, run)
    verdict = judge(node, raw, shape, args.ignore_check, expect)
    doc = report(
        node=node,
        pool=args.pool,
        shape=shape,
        verdict=verdict,
        raw=raw,
        checked_at=checked_at,
        seconds=time.monotonic() - started,
        expect=expect,
    )
    try:
        write_atomic(Path(args.out), json.dumps(doc, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        print(f"gpufleet-health: cannot write {args.out}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for finding in verdict.errors:
        print(f"error {finding.check}: {finding.message} (fix: {finding.remedy})", file=sys.stderr)
    print(f"gpufleet-health: {doc['verdict']}, {len(verdict.errors)} error(s) -> {args.out}")
    return EXIT_PASS if verdict.passed else EXIT_FAIL
