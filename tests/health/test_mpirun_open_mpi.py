"""The health gate's multi-node NCCL command line (`bootstrap.health.nccl.mpirun`) run by the
real Open MPI `mpirun` (Debian's 4.1, the series Ubuntu 22.04/24.04 and Oracle Linux ship).

What stands in for the cluster, and only that:
* two hosts of the hostfile are reached through a recording stand-in for ssh
  (`plm_rsh_agent`), which starts Open MPI's daemon for that host here;
* each host's hardware is a machine hwloc synthesizes (`hwloc_base_topo_file`): two sockets of
  56 cores, one NUMA domain each, like BM.GPU.H100.8, whose first CPUs are this machine's CPU 0
  and CPU 1 so binding to a NUMA domain really binds;
* `all_reduce_perf` is a script that reports its rank, binding, NCCL variables and arguments.

Everything else is Open MPI's: option parsing, the `HOST slots=N` hostfile, one rank per GPU
per node in hostfile order, `--bind-to numa`, the `-x` exports (including NCCL's `==` exact-
match value) and the exit status. Open MPI refuses root: on a node it runs as the login user
(never under sudo, bootstrap/health/ssh_source.py); CI runs as root, so the test allows it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bootstrap.health.nccl.mpirun import ALL_REDUCE_ARGS, mpirun_command
from infra.shapes import CATALOG

pytestmark = pytest.mark.skipif(
    shutil.which("mpirun") is None or shutil.which("lstopo") is None,
    reason="Open MPI or hwloc missing (.ci/run installs openmpi-bin hwloc)",
)
SHAPE = CATALOG["BM.GPU.H100.8"]
HOSTS = ["10.0.3.17", "10.0.3.4"]  # rank order (the topology's), not address order

RSH = """#!/bin/sh
# ssh stand-in: record the host, start the command here with the host it was meant for
here=$(dirname "$0")
echo "$1" >> "$here/rsh.log"
export FAKE_HOST="$1"
# A host of its own for the daemon's session files and shared memory, as on a real node.
mkdir -p "$here/tmp-$1" && export TMPDIR="$here/tmp-$1" OMPI_MCA_orte_tmpdir_base="$here/tmp-$1"
shift
exec sh -c "$*"
"""
ALL_REDUCE = r"""#!/usr/bin/env python3
import json, os, sys
allowed = next(l.split(":", 1)[1].strip() for l in open("/proc/self/status")
               if l.startswith("Cpus_allowed_list"))
rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
env = {k: v for k, v in os.environ.items() if k.startswith(("NCCL_", "UCX_"))}
with open(os.path.join(sys.argv[1], f"rank-{rank}.json"), "w") as out:
    json.dump({"rank": rank, "host": os.environ.get("FAKE_HOST"), "cpus": allowed, "env": env,
               "args": sys.argv[2:]}, out)
"""


def _topology(path: Path) -> None:
    # PU os-indexes: NUMA domain 0 starts with CPU 0, domain 1 with CPU 1 (both exist here);
    # the other 222 do not, and Linux binds a mask to the CPUs of it that exist.
    first, second = [0, *range(2, 113)], [1, *range(113, 224)]
    indexes = ",".join(map(str, first + second))
    subprocess.run(
        ["lstopo", "--input", f"pack:2 numa:1 core:56 pu:2(indexes={indexes})", "--of", "xml",
         str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _mpirun(tmp_path: Path, binary_text: str) -> subprocess.CompletedProcess[str]:
    """The generated command for HOSTS, run by bash as on the launcher node, with
    `binary_text` as all_reduce_perf."""
    _topology(tmp_path / "topo.xml")
    rsh, binary = tmp_path / "rsh", tmp_path / "all_reduce_perf"
    rsh.write_text(RSH)
    binary.write_text(binary_text)
    for path in (rsh, binary):
        path.chmod(0o755)
    command = mpirun_command(SHAPE, hostfile=str(tmp_path / "hosts"), hosts=HOSTS,
                             binary=str(binary), timeout_s=120)  # fmt: skip
    env = {
        **os.environ,
        "OMPI_MCA_plm_rsh_agent": str(rsh),
        "OMPI_MCA_hwloc_base_topo_file": str(tmp_path / "topo.xml"),
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True,
                          timeout=180)  # fmt: skip


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPUs to bind two NUMA domains")
def test_open_mpi_runs_the_generated_command_line(tmp_path: Path) -> None:
    reports = tmp_path / "ranks"
    reports.mkdir()
    (tmp_path / "rank.py").write_text(ALL_REDUCE)
    python = shutil.which("python3")
    done = _mpirun(tmp_path, f'#!/bin/sh\nexec {python} {tmp_path / "rank.py"} {reports} "$@"\n')
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    ranks = sorted((json.loads(p.read_text()) for p in reports.glob("rank-*.json")),
                   key=lambda r: r["rank"])  # fmt: skip

    per_node = SHAPE.gpu_count
    assert [r["rank"] for r in ranks] == list(range(per_node * len(HOSTS)))
    # One rank per GPU, filled host by host in the hostfile's (topology) order.
    assert [r["host"] for r in ranks] == [h for h in HOSTS for _ in range(per_node)]
    assert sorted((tmp_path / "rsh.log").read_text().split()) == sorted(HOSTS)
    # Bound to a NUMA domain each: half of every node's ranks on each.
    for host in HOSTS:
        cpus = [r["cpus"] for r in ranks if r["host"] == host]
        assert sorted(cpus) == ["0"] * (per_node // 2) + ["1"] * (per_node // 2), cpus
    nccl = SHAPE.nccl
    assert nccl is not None
    expected = {"UCX_TLS": "tcp", **nccl.env()}
    if nccl.socket_ifname:
        expected["UCX_NET_DEVICES"] = nccl.socket_ifname
    assert expected["NCCL_IB_HCA"].startswith("=")  # NCCL's exact-match form survives -x
    for r in ranks:
        assert {k: r["env"].get(k) for k in expected} == expected
        assert r["args"] == list(ALL_REDUCE_ARGS)
    assert not (tmp_path / "hosts").exists()  # the command removes its hostfile


def test_a_failing_rank_fails_the_command(tmp_path: Path) -> None:
    done = _mpirun(tmp_path, '#!/bin/sh\n[ "$OMPI_COMM_WORLD_RANK" != 11 ] || exit 3\n')
    assert done.returncode != 0
    assert not (tmp_path / "hosts").exists()
