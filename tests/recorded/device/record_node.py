"""Record what a real GPU machine prints for every node fact, for the parser tests.

Run on a machine with an NVIDIA GPU, from the repository root, as root (the xid fact reads the
kernel log)::

    python3 tests/recorded/device/record_node.py OUTDIR [--shape BM.GPU.H200.8] \
        [--bootstrap-check RENDERED/POOL/bootstrap.sh]

It runs each fact kind's own ``COMMAND`` from `bootstrap.facts.registry.FACTS` exactly as the
runner and the node checker do (``/bin/sh -c`` with ``LC_ALL=C``), and writes
``OUTDIR/<kind>.txt``: a ``# SOURCE:`` first line naming the machine, GPU, driver, kernel and
date, then the command's stdout verbatim. Beside them ``OUTDIR/summary.json`` holds each
command's exit code and wall seconds and what the pure parser made of the output (or its
error), and ``OUTDIR/health.json`` is the node checker's verdict for ``--shape`` on this
machine (the same code the health timer runs; it fails on any machine that is not that shape).

With ``--bootstrap-check`` it also runs a rendered node bootstrap script in ``--check`` mode
(observe every step, change nothing) against the real machine, with instance metadata from a
folder saying ``--shape`` (``GF_IMDS``; nothing is asked of 169.254.169.254), and saves its
status lines as ``OUTDIR/bootstrap-check.jsonl`` and its log as ``bootstrap-check.log``.

With ``--under-load SECONDS`` the GPUs are kept busy while the facts are recorded: a bf16
matrix-product loop through PyTorch on every visible GPU (the device image has it), started
first and given time to raise clocks and power, as a node that is training looks to the health
timer. The loop stops when recording ends.

Never run here: the two instance-metadata kinds (they call 169.254.169.254; only an OCI instance
answers) and ``nccl-tests`` (it needs ``all_reduce_perf`` and 8 GPUs). Nothing is changed on
the machine: every command only reads. Standard library only (the device's python3).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.registry import FACTS
from bootstrap.nodecheck.checker import run_sh
from bootstrap.nodecheck.zipapp import checker_pyz

SKIPPED = {
    "imds-host": "calls the instance metadata address; only an OCI instance answers",
    "imds-instance": "calls the instance metadata address; only an OCI instance answers",
    "nccl-tests": "needs all_reduce_perf and 8 GPUs",
    "wpa-cli": "needs an RDMA interface name (none without RDMA NICs)",
}


# A GPU busy as in training: 8192^3 bf16 matrix products back to back on every visible GPU.
LOAD = """
import sys, time, torch
n = torch.cuda.device_count()
mats = [(torch.randn(8192, 8192, device=f"cuda:{i}", dtype=torch.bfloat16),) * 2 for i in range(n)]
print(f"load: {n} GPU(s) busy", flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for a, b in mats:
        for _ in range(20):
            a @ b
    torch.cuda.synchronize()
"""
LOAD_WARMUP_S = 10


def start_load(seconds: float) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", LOAD, str(seconds)])
    time.sleep(LOAD_WARMUP_S)
    if proc.poll() is not None:
        raise SystemExit(f"the GPU load exited early ({proc.returncode})")
    return proc


def sh(command: str, limit_s: float = 90) -> tuple[str, int | None, float]:
    """The node checker's own runner (`/bin/sh -c`, LC_ALL=C, killed past its limit), timed."""
    started = time.monotonic()
    raw = run_sh(command, limit_s)
    return raw.text, raw.exit_code, round(time.monotonic() - started, 3)


def machine_line(machine: str) -> str:
    gpu, _, _ = sh("nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1")
    name, _, driver = gpu.strip().partition(", ")
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        f"# SOURCE: recorded by gpufleet tests/recorded/device/record_node.py on {machine}: "
        f"{name or 'no GPU'}, driver {driver or 'unknown'}, kernel {platform.release()}, "
        f"{day}. Verbatim stdout below this line."
    )


def bootstrap_check(script: Path, shape: str, out: Path) -> dict[str, object]:
    """``bash SCRIPT --check`` on this machine; metadata from a folder, not the network."""
    imds = out / "imds"
    (imds / "instance").mkdir(parents=True, exist_ok=True)
    (imds / "instance" / "shape").write_text(shape, encoding="utf-8")
    env = dict(os.environ, GF_IMDS=str(imds), GF_OCA_WAIT_S="1")
    started = time.monotonic()
    with (
        (out / "bootstrap-check.jsonl").open("wb") as stdout,
        (out / "bootstrap-check.log").open("wb") as stderr,
    ):
        try:
            code: int | None = subprocess.run(
                ["bash", str(script), "--check"],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=env,
                timeout=180,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            code = None
    (imds / "instance" / "shape").unlink()
    (imds / "instance").rmdir()
    imds.rmdir()
    seconds = round(time.monotonic() - started, 3)
    print(f"bootstrap --check exit={code} {seconds:.2f}s")
    return {"script": str(script), "exit": code, "seconds": seconds}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--machine", default="a lent GPU machine")
    ap.add_argument("--shape", default="BM.GPU.H200.8")
    ap.add_argument("--bootstrap-check", type=Path, default=None, metavar="BOOTSTRAP_SH")
    ap.add_argument("--under-load", type=float, default=None, metavar="SECONDS")
    args = ap.parse_args()
    out: Path = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    load = start_load(args.under_load) if args.under_load else None
    try:
        return record(args, out)
    finally:
        if load is not None:
            load.terminate()
            load.wait()


def record(args: argparse.Namespace, out: Path) -> int:
    machine = args.machine + (", GPUs busy with bf16 matrix products" if args.under_load else "")
    header = machine_line(machine)
    summary: dict[str, object] = {"header": header, "kinds": {}, "skipped": SKIPPED}
    kinds: dict[str, object] = {}
    for name, kind in sorted(FACTS.items()):
        if name in SKIPPED:
            continue
        text, code, seconds = sh(kind.command)
        (out / f"{name}.txt").write_text(f"{header}\n{text}", encoding="utf-8")
        entry: dict[str, object] = {"command": kind.command, "exit": code, "seconds": seconds}
        try:
            entry["parsed"] = kind.parse(text).to_dict()
        except FactParseError as exc:
            entry["parse_error"] = str(exc)
        kinds[name] = entry
        print(f"{name:16} exit={code} {seconds:6.2f}s {'ok' if 'parsed' in entry else 'ERR'}")
    summary["kinds"] = kinds
    # The very zipapp the bootstrap script installs, run the way the health timer runs it.
    pyz = out / "gpufleet-health.pyz"
    pyz.write_bytes(checker_pyz())
    checker = [sys.executable, "-I", "-S", str(pyz)]
    # The checker's instance-metadata facts call curl on 169.254.169.254: a curl that fails as
    # an unreachable address does (exit 7) keeps this run off the network.
    shim = out / "no-network"
    shim.mkdir(exist_ok=True)
    (shim / "curl").write_text("#!/bin/sh\nexit 7\n", encoding="utf-8")
    (shim / "curl").chmod(0o755)
    env = dict(os.environ, PATH=f"{shim}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    started = time.monotonic()
    proc = subprocess.run(
        [*checker, "--shape", args.shape, "--pool", "device", "--out", str(out / "health.json")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    pyz.unlink()
    (shim / "curl").unlink()
    shim.rmdir()
    summary["nodecheck"] = {
        "exit": proc.returncode,
        "seconds": round(time.monotonic() - started, 3),
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }
    if args.bootstrap_check is not None:
        summary["bootstrap_check"] = bootstrap_check(args.bootstrap_check, args.shape, out)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(proc.stdout, proc.stderr, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
