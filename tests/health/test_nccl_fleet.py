"""`gpufleet health --nccl multi|pairwise` end to end over SSH against the real sshd fleet
(tests/sshfleet.py): the runner launches the generated mpirun command line on the first node of
the pool or pair, and the results come back through the runner into the verdict.

Each node gets the GPU/RDMA fakes of test_health_sshd_fleet (so it passes the health gate) plus
two strict fakes, first on PATH through ~/.bashrc:

* ``mpirun`` accepts only the Open MPI options our command line uses (anything else: exit 2 and
  a message, as Open MPI does), checks the hostfile (``HOST slots=N``, N = --npernode, --np =
  hosts × N), logs the call, and runs ``all_reduce_perf`` from PATH with the ``-x`` variables;
* ``all_reduce_perf`` accepts only nccl-tests size/iteration flags and prints the recorded
  2×H100 nccl-tests output (tests/recorded, ``# SOURCE`` line stripped), with its bandwidth
  scaled down when a designated slow node's address is among the ranks' hosts.

Topology: half the nodes get another rackId in their IMDS host facts, so the fabric order (and
so the hostfile and the pairs) differs from name order.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts.base import strip_provenance
from bootstrap.facts.nccl_tests import parse
from tests import sshfleet
from tests.health.conftest import H200, healthy_h200_files, read, shared
from tests.health.test_health_sshd_fleet import FAKES

pytestmark = pytest.mark.sshd

REAL = "nccl_allreduce_perf_H100_2node_oci_hpc_docs.txt"
NODES = 6
SLOW = "node-0003"
SLOW_FACTOR = 0.5  # 464 GB/s -> 232 GB/s, well under the 440 GB/s threshold
OTHER_RACK = "0" * 64  # sorts before the recorded rackId: odd nodes come first
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable

MPIRUN = r"""
import json, os, shutil, subprocess, sys

def refuse(msg):
    print(f"mpirun (fake): {msg}", file=sys.stderr)
    sys.exit(2)

args, env, opts = sys.argv[1:], {}, {}
while args and args[0].startswith("-"):
    flag = args.pop(0)
    if flag in ("--np", "--npernode", "--hostfile", "--bind-to"):
        if not args:
            refuse(f"{flag} needs a value")
        opts[flag] = args.pop(0)
    elif flag == "--mca":
        if len(args) < 2:
            refuse("--mca needs a name and a value")
        name, value = args.pop(0), args.pop(0)
        if (name, value) not in (("pml", "ucx"), ("coll", "^hcoll")):
            refuse(f"unexpected MCA parameter {name}={value}")
    elif flag == "-x":
        if not args or "=" not in args[0]:
            refuse("-x needs NAME=VALUE")
        name, value = args.pop(0).split("=", 1)
        env[name] = value
    else:
        refuse(f"unrecognized argument {flag}")
missing = {"--np", "--npernode", "--hostfile"} - opts.keys()
if missing:
    refuse(f"missing {sorted(missing)}")
if opts.get("--bind-to", "numa") != "numa":
    refuse(f"unexpected --bind-to {opts['--bind-to']}")
if not args:
    refuse("no executable given")
try:
    lines = open(opts["--hostfile"]).read().splitlines()
except OSError as exc:
    refuse(f"cannot read hostfile: {exc}")
hosts = []
for line in lines:
    words = line.split()
    if len(words) != 2 or words[1] != f"slots={opts['--npernode']}":
        refuse(f"bad hostfile line {line!r}")
    hosts.append(words[0])
if len(hosts) < 2 or len(set(hosts)) != len(hosts):
    refuse(f"bad host list {hosts}")
if int(opts["--np"]) != len(hosts) * int(opts["--npernode"]):
    refuse(f"--np {opts['--np']} != {len(hosts)} hosts x {opts['--npernode']}")
program = shutil.which(args[0])
if program is None:
    refuse(f"was unable to find the specified executable {args[0]}")
with open(LOG, "a") as log:
    log.write(json.dumps({"launcher": os.environ.get("GPUFLEET_NODE"), "hosts": hosts,
                          "hostfile": os.path.abspath(opts["--hostfile"]),
                          "env": env, "argv": sys.argv[1:]}) + "\n")
child_env = dict(os.environ, **env, FAKE_MPI_HOSTS=",".join(hosts))
sys.exit(subprocess.run([program, *args[1:]], env=child_env).returncode)
"""

ALL_REDUCE_PERF = r"""
import os, sys

def refuse(msg):
    print(f"all_reduce_perf (fake): {msg}", file=sys.stderr)
    sys.exit(2)

args = sys.argv[1:]
if len(args) % 2:
    refuse(f"odd argument list {args}")
for flag, value in zip(args[::2], args[1::2]):
    if flag not in ("-b", "-e", "-f", "-g", "-n", "-w", "-c"):
        refuse(f"invalid option {flag}")
if "FAKE_MPI_HOSTS" not in os.environ:
    refuse("not launched by mpirun")
if not os.environ.get("NCCL_IB_HCA"):
    refuse("NCCL_IB_HCA not exported (-x)")
hosts = set(os.environ["FAKE_MPI_HOSTS"].split(","))
slow = set(open(SLOW_HOSTS).read().split())
sys.stdout.write(open(SLOW_TEXT if hosts & slow else FAST_TEXT).read())
"""


def scaled(text: str, factor: float) -> str:
    """nccl-tests output with algbw/busbw (and the average) times `factor`, times divided by it:
    the same run over a link `factor` as fast."""

    def row(match: re.Match[str]) -> str:
        f = match[0].split()
        for i in (5, 9):
            f[i] = f"{float(f[i]) / factor:.1f}"
        for i in (6, 7, 10, 11):
            f[i] = f"{float(f[i]) * factor:.2f}"
        widths = (12, 12, 8, 6, 6, 7, 6, 6, 6, 7, 6, 6, 6)  # nccl-tests' column widths
        return "  ".join(v.rjust(w) for v, w in zip(f, widths, strict=True))

    out = re.sub(r"(?m)^\s*\d+\s+\d+\s+float\s.*$", row, text)
    return re.sub(
        r"(# Avg bus bandwidth\s*:\s*)([\d.]+)",
        lambda m: f"{m[1]}{float(m[2]) * factor:.3f}",
        out,
    )


@dataclass
class NcclFleet:
    fleet: sshfleet.Fleet
    root: Path
    inventory: Path
    slow_hosts: Path
    mpirun_log: Path

    def address(self, name: str) -> str:
        return self.fleet.node(name).address

    def health(self, name: str, *args: str, slow: tuple[str, ...] = ()) -> tuple[int, Path, Path]:
        """Run `gpufleet health` over SSH; returns (exit code, report path, logs folder)."""
        self.slow_hosts.write_text("".join(f"{self.address(n)}\n" for n in slow))
        self.mpirun_log.write_text("")
        report, logs = self.root / f"{name}.json", self.root / f"logs-{name}"
        result = CliRunner().invoke(cli, [
            "health", "--inventory", str(self.inventory),
            "--ignore-check", "dot1x", "--logs", str(logs), "--report", str(report),
            "--quarantine-file", str(self.root / f"quarantine-{name}.json"), "--json", *args,
        ])  # fmt: skip
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert json.loads(result.stdout) == json.loads(report.read_text())
        left = [c["hostfile"] for c in self.mpirun_calls() if Path(c["hostfile"]).exists()]
        assert not left, f"hostfiles left on the launchers: {left}"
        return result.exit_code, report, logs

    def mpirun_calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.mpirun_log.read_text().splitlines()]


def _install(home: Path, facts: Path, tools: dict[str, str]) -> None:
    (home / ".bashrc").write_text('export PATH="$HOME/bin:$PATH"\n')
    bin_dir = home / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\nF={facts}\n{body}\n")
        tool.chmod(0o755)
    for name, source in tools.items():
        tool = bin_dir / name
        # the login user cannot reach a virtualenv under /root: the system python runs these
        tool.write_text(f"#!{SYSTEM_PYTHON}\n{source}")
        tool.chmod(0o755)


@pytest.fixture(scope="module")
def nccl_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NcclFleet]:
    if not sshfleet.sshd_available():
        pytest.skip("OpenSSH server not installed")
    root = tmp_path_factory.mktemp("nccl-fleet")
    real = strip_provenance(read(shared(REAL)))
    fleet = sshfleet.start_fleet(root / "fleet", NODES)
    # mpirun runs as the login user (never under sudo): its data must be readable by it
    shared_dir = fleet.shared_dir("nccl")
    fast, slow = shared_dir / "fast.txt", shared_dir / "slow.txt"
    fast.write_text(real)
    slow.write_text(scaled(real, SLOW_FACTOR))
    slow_hosts, log = shared_dir / "slow_hosts", shared_dir / "mpirun.jsonl"
    slow_hosts.write_text("")
    log.write_text("")  # created here so that fleet.give hands it to the login user
    consts = (
        f"LOG = {str(log)!r}\nSLOW_HOSTS = {str(slow_hosts)!r}\n"
        f"FAST_TEXT = {str(fast)!r}\nSLOW_TEXT = {str(slow)!r}\n"
    )
    tools = {"mpirun": consts + MPIRUN, "all_reduce_perf": consts + ALL_REDUCE_PERF}
    try:
        for i, d in enumerate(fleet.nodes):
            facts = root / "facts" / d.name
            facts.mkdir(parents=True)
            for key, path in healthy_h200_files().items():
                text = strip_provenance(read(path))  # real tools print no `# SOURCE`
                if key == "imds-host" and i % 2:
                    text = re.sub(r'("rackId": ")\w+', rf"\g<1>{OTHER_RACK}", text)
                (facts / f"{key}.txt").write_text(text)
            _install(d.home, facts, tools)
        fleet.give(shared_dir, *(d.home for d in fleet.nodes))
        inv = fleet.write_inventory(root / "inventory.json")
        doc = json.loads(inv.read_text())
        for node in doc["nodes"]:
            node["shape"] = H200.name
        inv.write_text(json.dumps(doc))
        yield NcclFleet(fleet, root, inv, slow_hosts, log)
    finally:
        fleet.stop()


def _topology_order() -> list[str]:
    odd = [f"node-{i:04d}" for i in range(1, NODES, 2)]
    even = [f"node-{i:04d}" for i in range(0, NODES, 2)]
    return odd + even


def _status(report: Path) -> dict[str, tuple[str, list[str]]]:
    doc = json.loads(report.read_text())
    return {n["node"]: (n["status"], n["failing_checks"]) for n in doc["nodes"]}


def _nccl_runs(logs: Path) -> list[dict[str, Any]]:
    """The runner's results.json of each NCCL run, in start order (run ids of one second sort
    by their random suffix)."""
    docs = [json.loads(p.read_text()) for p in logs.glob("*/results.json")]
    return sorted((d for d in docs if d["kind"] == "health-nccl"), key=lambda d: d["started_at"])


def test_scaled_output_parses_below_threshold() -> None:
    real = strip_provenance(read(shared(REAL)))
    fast, slow = parse(real), parse(scaled(real, SLOW_FACTOR))
    assert fast.avg_busbw_gbps is not None and slow.avg_busbw_gbps is not None
    assert H200.busbw_multinode_gbs is not None
    assert slow.completed and len(slow.rows) == len(fast.rows) == 5
    assert slow.avg_busbw_gbps == pytest.approx(fast.avg_busbw_gbps * SLOW_FACTOR, abs=0.01)
    assert slow.rows[2].oop_busbw_gbps == pytest.approx(467.43 * SLOW_FACTOR, abs=0.01)
    assert slow.avg_busbw_gbps < H200.busbw_multinode_gbs <= fast.avg_busbw_gbps


def test_fakes_refuse_unknown_arguments(nccl_fleet: NcclFleet) -> None:
    bin_dir = nccl_fleet.fleet.nodes[0].home / "bin"
    hostfile = nccl_fleet.root / "hosts"
    hostfile.write_text("10.0.0.1 slots=8\n10.0.0.2 slots=8\n")
    base = ["--np", "16", "--npernode", "8", "--hostfile", str(hostfile)]
    for argv in (
        [*base, "--oversubscribe", "all_reduce_perf"],
        [*base, "--mca", "btl", "tcp", "all_reduce_perf"],
        ["--np", "8", "--npernode", "8", "--hostfile", str(hostfile), "all_reduce_perf"],
    ):
        done = subprocess.run([bin_dir / "mpirun", *argv], capture_output=True, text=True)
        assert done.returncode == 2 and "mpirun (fake)" in done.stderr, (argv, done.stderr)
    done = subprocess.run(
        [bin_dir / "all_reduce_perf", "-b", "1G", "--bogus", "1"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "invalid option --bogus" in done.stderr


def test_multi_passes_when_every_node_is_fast(nccl_fleet: NcclFleet) -> None:
    code, report, logs = nccl_fleet.health("multi-fast", "--nccl", "multi")
    doc = json.loads(report.read_text())
    assert code == 0 and doc["exit_code"] == 0, doc
    assert all(s == ("pass", []) for s in _status(report).values())
    [pool] = doc["pools"]
    order = _topology_order()
    assert pool["order"] == order and pool["findings"] == [] and pool["pairs"] == []
    [call] = nccl_fleet.mpirun_calls()
    assert call["launcher"] == order[0]
    assert call["hosts"] == [nccl_fleet.address(n) for n in order]
    assert call["env"]["NCCL_IB_HCA"].startswith("=mlx5_")
    [run] = _nccl_runs(logs)
    assert [(r["node"], r["status"]) for r in run["results"]] == [(order[0], "ok")]


def test_multi_with_a_slow_node_fails_the_pool_and_pairwise_names_it(
    nccl_fleet: NcclFleet,
) -> None:
    code, report, logs = nccl_fleet.health("multi-slow", "--nccl", "multi", slow=(SLOW,))
    doc = json.loads(report.read_text())
    assert code == 1 and doc["exit_code"] == 1
    [pool] = doc["pools"]
    [finding] = pool["findings"]
    assert finding["check"] == "nccl-pool" and finding["severity"] == "error"
    assert "232.0" in finding["message"]  # the scaled average, through SSH and the parser
    status = _status(report)
    assert status.pop(SLOW) == ("fail", ["nccl-pair"])
    assert all(s == ("pass", []) for s in status.values()), status
    calls = nccl_fleet.mpirun_calls()
    assert len(calls[0]["hosts"]) == NODES
    assert all(len(c["hosts"]) == 2 for c in calls[1:])
    pairs = {tuple(p["nodes"]): p["busbw_gbs"] for p in pool["pairs"]}
    assert all((bw < 440) == (SLOW in pair) for pair, bw in pairs.items()), pairs
    quarantined = json.loads((nccl_fleet.root / "quarantine-multi-slow.json").read_text())
    assert [e["node"] for e in quarantined["nodes"]] == [SLOW]
    runs = _nccl_runs(logs)
    assert len(runs) >= 2  # the pool run, then at least one round of pairs


def test_pairwise_names_exactly_the_slow_node(nccl_fleet: NcclFleet) -> None:
    code, report, _ = nccl_fleet.health("pairwise-slow", "--nccl", "pairwise", slow=(SLOW,))
    doc = json.loads(report.read_text())
    assert code == 1 and doc["exit_code"] == 1
    [pool] = doc["pools"]
    assert pool["findings"] == []  # no pool-wide run in pairwise mode
    status = _status(report)
    assert status.pop(SLOW) == ("fail", ["nccl-pair"])
    assert all(s == ("pass", []) for s in status.values()), status
    calls = nccl_fleet.mpirun_calls()
    assert calls and all(len(c["hosts"]) == 2 for c in calls)
    order = _topology_order()
    first_round = [(order[i], order[i + 1]) for i in range(0, NODES, 2)]
    by_launcher = {c["launcher"]: c["hosts"] for c in calls[: len(first_round)]}
    for a, b in first_round:
        assert by_launcher[a] == [nccl_fleet.address(a), nccl_fleet.address(b)]
    pairs = {tuple(p["nodes"]) for p in pool["pairs"]}
    assert set(first_round) <= pairs and len(pairs) == len(calls)
    slow_finding = next(
        f for n in doc["nodes"] if n["node"] == SLOW for f in n["findings"]
        if f["check"] == "nccl-pair"
    )  # fmt: skip
    assert "232.0" in slow_finding["message"]


def test_pairwise_passes_when_every_node_is_fast(nccl_fleet: NcclFleet) -> None:
    code, report, _ = nccl_fleet.health("pairwise-fast", "--nccl", "pairwise")
    doc = json.loads(report.read_text())
    assert code == 0 and doc["exit_code"] == 0, doc
    assert all(s == ("pass", []) for s in _status(report).values())
    [pool] = doc["pools"]
    assert len(pool["pairs"]) == NODES // 2
    assert all(p["busbw_gbs"] >= 440 for p in pool["pairs"])


def test_a_node_failing_the_gate_is_left_out_and_the_next_one_launches(
    nccl_fleet: NcclFleet,
) -> None:
    first = _topology_order()[0]
    links = nccl_fleet.root / "facts" / first / "ibdev2netdev.txt"
    healthy = links.read_text()
    links.write_text(
        healthy.replace("mlx5_3 port 1 ==> rdma1 (Up)", "mlx5_3 port 1 ==> rdma1 (Down)")
    )
    try:
        code, report, _ = nccl_fleet.health("gate-fail", "--nccl", "multi")
    finally:
        links.write_text(healthy)
    assert code == 1
    status = _status(report)
    assert status.pop(first) == ("fail", ["rdma-link:mlx5_3"])
    assert all(s == ("pass", []) for s in status.values()), status
    rest = _topology_order()[1:]
    [pool] = json.loads(report.read_text())["pools"]
    assert pool["order"] == rest and pool["findings"] == []
    [call] = nccl_fleet.mpirun_calls()
    assert call["launcher"] == rest[0]
    assert call["hosts"] == [nccl_fleet.address(n) for n in rest]


def test_a_launcher_without_all_reduce_perf_never_passes(nccl_fleet: NcclFleet) -> None:
    first = _topology_order()[0]
    tool = nccl_fleet.fleet.node(first).home / "bin" / "all_reduce_perf"
    hidden = tool.with_name("all_reduce_perf.hidden")
    tool.rename(hidden)
    try:
        code, report, logs = nccl_fleet.health("no-binary", "--nccl", "multi")
    finally:
        hidden.rename(tool)
    assert code == 1
    [pool] = json.loads(report.read_text())["pools"]
    assert [f["check"] for f in pool["findings"]] == ["nccl-pool"]
    # the finding carries the runner's reason, not just "no result"
    assert f"no result (mpirun on {first}: failed" in pool["findings"][0]["message"]
    # the fake mpirun refused (exit 2) on the launcher: the runner recorded a failure
    pool_run = _nccl_runs(logs)[0]
    assert [(r["node"], r["status"]) for r in pool_run["results"]] == [(first, "failed")]
    # its pairs were not measured either: the launcher is never cleared
    assert _status(report)[first] == ("fail", ["nccl-pair"])
