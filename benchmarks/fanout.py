"""Fan-out benchmark: the same workload through the bastion with gpufleet and its peers.

Workload per node: upload a ~60 KB script, run it, collect its status line. On N local nodes
(real sshd daemons, tests/sshfleet.py) behind a bastion, concurrency 64, peers run one after
the other in the same fleet:

    gpufleet            `gpufleet bootstrap --script` (stdin upload, the default)
    gpufleet-sftp       the same with `--upload sftp`
    gpufleet-2bastions  the same with two bastion transports (hidden --bastion-transports 2)
    paramiko            bare thread pool + one bastion transport (peers/paramiko_loop.py)
    paramiko-tuned      paramiko-supervised with gpufleet's per-connection cuts (AES-GCM first,
                        no handshake timer thread, 0.5 s reader poll with closes that wake the
                        reader: bootstrap/ssh/handshake.py), the floor for gpufleet's own code
    paramiko-supervised the same, running exactly gpufleet's node-side command (lock, process
                        group, stdin watch), so the difference to gpufleet is the client alone
    asyncssh            bare asyncio loop + one bastion connection (peers/asyncssh_loop.py)
    openssh             `ssh -J` per node driven by `xargs -P 64` (OpenSSH defaults)
    openssh-curve25519  the same with KexAlgorithms curve25519-sha256

Each peer is one child process; its client CPU (user+sys, children included) comes from
wait4(), its peak RSS is the largest sum of RSS over its process tree, sampled every 100 ms
(OpenSSH runs ~130 processes at once). Results: benchmarks/results/fanout-<time>.json and .md.

    python benchmarks/fanout.py --nodes 200
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import sshfleet  # noqa: E402

PEERS = [
    "gpufleet",
    "gpufleet-sftp",
    "gpufleet-2bastions",
    "paramiko",
    "paramiko-supervised",
    "paramiko-tuned",
    "asyncssh",
    "openssh",
    "openssh-curve25519",
]
STATUS = '{"step": "bench", "status": "ok", "message": "did nothing, quickly", "seconds": 0.0}'


def workload(path: Path, size: int = 60_000) -> Path:
    head = f"#!/bin/sh\n# gpufleet fan-out benchmark workload\necho '{STATUS}'\nexit 0\n"
    filler = "".join(f"# {i:06d} {'x' * 70}\n" for i in range((size - len(head)) // 80))
    path.write_text(head + filler)
    return path


def tree_rss_kb(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    err_chunks: list[bytes] = []
    err_reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    err_reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    done.set()
    reader.join()
    err_reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(max(peak, usage.ru_maxrss) / 1024, 1),
        "rc": proc.returncode,
        "stdout": b"".join(out_chunks).decode(errors="replace"),
        "stderr": b"".join(err_chunks).decode(errors="replace")[-2000:],
    }


def ssh_config(fleet: sshfleet.Fleet, path: Path, extra: str = "") -> Path:
    path.write_text(
        "Host *\n"
        f"  User {fleet.user}\n  IdentityFile {fleet.user_key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {fleet.known_hosts}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n  LogLevel ERROR\n" + extra
    )
    return path


def run_peer(
    name: str, fleet: sshfleet.Fleet, work: Path, script: Path, inventory: Path, concurrency: int
) -> dict[str, Any]:
    py = sys.executable
    peers = ROOT / "benchmarks" / "peers"
    if name.startswith("gpufleet"):
        logs = work / f"logs-{name}"
        cmd = [
            py,
            "-m",
            "bootstrap",
            "bootstrap",
            "--inventory",
            str(inventory),
            "--script",
            str(script),
            "--no-sudo",
            "--logs",
            str(logs),
            "--concurrency",
            str(concurrency),
            "--json",
        ]
        cmd += {
            "gpufleet-sftp": ["--upload", "sftp"],
            "gpufleet-2bastions": ["--bastion-transports", "2"],
        }.get(name, [])
        m = measure(cmd)
        try:
            recap = json.loads(m["stdout"])["recap"]
            m["ok"] = sum(pool["ok"] + pool["changed"] for pool in recap.values())
        except (ValueError, KeyError):
            m["ok"] = 0
        shutil.rmtree(logs, ignore_errors=True)
    elif name in ("paramiko", "paramiko-supervised", "paramiko-tuned", "asyncssh"):
        loop, _, mode = name.partition("-")
        m = measure(
            [py, str(peers / f"{loop}_loop.py"), str(inventory), str(script), str(concurrency)]
            + ([mode] if mode else [])
        )
        try:
            m["ok"] = json.loads(m["stdout"].strip().splitlines()[-1])["ok"]
        except (ValueError, IndexError, KeyError):
            m["ok"] = 0
    else:
        extra = "  KexAlgorithms curve25519-sha256\n" if name.endswith("curve25519") else ""
        cfg = ssh_config(fleet, work / f"ssh_config-{name}", extra)
        out = work / f"out-{name}"
        out.mkdir()
        nodes = work / "nodes.txt"
        nodes.write_text("".join(f"{d.name} {d.address} {d.port}\n" for d in fleet.nodes))
        env = dict(
            os.environ,
            CFG=str(cfg),
            JUMP=f"{fleet.bastion.address}:{fleet.bastion.port}",
            SCRIPT=str(script),
            SIZE=str(script.stat().st_size),
            OUT=str(out),
        )
        m = measure(
            ["sh", "-c", f"xargs -P {concurrency} -L 1 {peers / 'openssh_one.sh'} < {nodes}"],
            env=env,
        )
        m["ok"] = sum('"status": "ok"' in p.read_text() for p in out.glob("*.out"))
        shutil.rmtree(out, ignore_errors=True)
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="runs per peer; the median is kept")
    parser.add_argument("--peers", default=",".join(PEERS))
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]

    work = Path(tempfile.mkdtemp(prefix="gpufleet-bench-"))
    fleet = sshfleet.start_fleet(
        work / "fleet",
        args.nodes,
        bastion_log_level="INFO",
        max_startups=max(400, 2 * args.concurrency),
    )
    try:
        inventory = fleet.write_inventory(work / "inventory.json")
        script = workload(work / "bench.sh")
        rows: dict[str, dict[str, Any]] = {}
        # One unrecorded pass first: the first connections to fresh daemons pay for cold
        # caches (sshd binary, host keys, page cache), which would penalise whoever runs first.
        run_peer("paramiko", fleet, work, script, inventory, args.concurrency)
        for name in peers:
            runs = []
            for _ in range(args.repeat):
                time.sleep(1.0)  # let the previous peer's sessions wind down
                runs.append(run_peer(name, fleet, work, script, inventory, args.concurrency))
            m = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
            m["runs_wall_s"] = [r["wall_s"] for r in runs]
            m["runs_cpu_s"] = [r["cpu_s"] for r in runs]
            # Wall and CPU are medians each: the run with the median wall time need not be
            # the one with the median CPU time.
            m["cpu_s"] = sorted(m["runs_cpu_s"])[len(runs) // 2]
            rows[name] = m
            print(
                f"{name:20s} wall {m['wall_s']:6.2f}s  cpu {m['cpu_s']:6.2f}s  "
                f"rss {m['peak_rss_mb']:7.1f} MB  ok {m['ok']}/{args.nodes}",
                flush=True,
            )
            if m["ok"] != args.nodes:
                print(f"  stderr: {m['stderr'][-600:]}", flush=True)
    finally:
        fleet.stop()
    report(rows, args, script.stat().st_size)
    shutil.rmtree(work, ignore_errors=True)


def report(rows: dict[str, dict[str, Any]], args: argparse.Namespace, script_size: int) -> None:
    base = rows.get("gpufleet")
    lines = [
        f"# Fan-out benchmark: {args.nodes} nodes via bastion, concurrency {args.concurrency}",
        "",
        f"{os.cpu_count()} CPUs, script {script_size} bytes, median of {args.repeat} run(s) "
        "after one unrecorded warm-up pass.",
        "",
        "| peer | wall s | client CPU s | CPU ms/node | peak RSS MB | ok | wall vs gpufleet |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in rows.items():
        ratio = f"{m['wall_s'] / base['wall_s']:.2f}x" if base and base["wall_s"] else "-"
        lines.append(
            f"| {name} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | "
            f"{1000 * m['cpu_s'] / args.nodes:.1f} | {m['peak_rss_mb']:.1f} | "
            f"{m['ok']}/{args.nodes} | {ratio} |"
        )
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = {
        "nodes": args.nodes,
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "script_bytes": script_size,
        "peers": {
            k: {f: v for f, v in m.items() if f not in ("stdout", "stderr")}
            for k, m in rows.items()
        },
    }
    (out / f"fanout-{stamp}.json").write_text(json.dumps(data, indent=2) + "\n")
    (out / f"fanout-{stamp}.md").write_text(text)
    print(f"written: benchmarks/results/fanout-{stamp}.json and .md")


if __name__ == "__main__":
    main()
