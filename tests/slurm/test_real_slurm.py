"""The rendered Slurm files fed to Slurm itself: Debian's slurmctld, slurmd (one per network
namespace), slurmdbd, munged and MariaDB, started here on namespaced addresses and stopped by PID.

One cluster of four BM.GPU.H100.8 nodes serves every case (start-up takes most of the time).
Its topology puts h100-0001/0003 under one leaf switch and h100-0002/0004 under the other, so
topology order differs from name order and the test can tell them apart.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bootstrap.slurm.drains import sync_drains_script
from bootstrap.topology import order, render_hostfile
from bootstrap.topology.placement import Placement
from infra.config import StackConfig, load_stack_file
from tests.infra.conftest import EXAMPLE
from tests.slurm.sandbox import SlurmSandbox

NEEDED = ("slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd", "mysql_install_db", "ip",
          "nsenter", "unshare")  # fmt: skip
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in NEEDED),
    reason="Slurm daemons not installed (.ci/run installs slurm-wlm slurmdbd munge mariadb-server)",
)
ORDER = ["h100-0001", "h100-0003", "h100-0002", "h100-0004"]


def stack() -> StackConfig:
    config = load_stack_file(EXAMPLE)
    pool = config.pools[0].model_copy(update={"nodes": 4})
    slurm = config.slurm.model_copy(update={"enabled": True})
    return config.model_copy(update={"pools": (pool,), "slurm": slurm, "cluster_name": "gft"})


def measured() -> dict[str, Placement]:
    block = {"h100-0001": "aaaa-block", "h100-0003": "aaaa-block",
             "h100-0002": "bbbb-block", "h100-0004": "bbbb-block"}  # fmt: skip
    return {n: Placement(n, n, b, "nb-one-network-block", "island-1") for n, b in block.items()}


def write_verdict(box: SlurmSandbox, node: str, verdict: str, failing: list[str],
                  age: timedelta = timedelta(0)) -> None:  # fmt: skip
    at = (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = {"schema": 1, "verdict": verdict, "node": node, "checked_at": at,
              "failing_checks": failing}  # fmt: skip
    (box.root / "health" / f"{node}.json").write_text(json.dumps(report))


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmSandbox]:
    sandbox = SlurmSandbox(tmp_path_factory.mktemp("slurm"), stack(), measured=measured())
    (sandbox.root / "health").mkdir(parents=True)
    for node in sandbox.nodes:
        write_verdict(sandbox, node, "pass", [])
    try:
        yield sandbox.start()
    finally:
        sandbox.stop()


def node_field(box: SlurmSandbox, node: str, key: str) -> str:
    line = box.run("scontrol", "show", "node", "-o", node)
    for part in line.split():
        if part.startswith(key + "="):
            return part.split("=", 1)[1]
    raise AssertionError(f"{key} not in {line}")


def settled_state(box: SlurmSandbox, node: str, timeout: float = 30) -> str:
    """The node's state once slurmctld has heard from it again ("idle*" is only not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        state = box.node_states()[node]
        if not state.endswith("*") or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def run_health(box: SlurmSandbox, node: str) -> None:
    """Run the node's HealthCheckProgram now, as slurmd would (inside that node's namespace)."""
    box.run_on(node, str(box.root / "etc" / "health.sh"), check=False)


def test_rendered_config_is_accepted_and_nodes_match_the_stack(box: SlurmSandbox) -> None:
    states = box.node_states()
    assert sorted(states) == sorted(ORDER)
    assert set(states.values()) == {"idle"}
    # Every slurmd ran configless (as join_slurm starts it) and fetched the files it caches.
    for node in ORDER:
        cached = box.root / "spool" / node / "conf-cache"
        assert {"slurm.conf", "gres.conf", "cgroup.conf", "topology.conf"} <= {
            p.name for p in cached.iterdir()}  # fmt: skip
    assert node_field(box, "h100-0001", "Gres") == "gpu:h100:8"
    assert node_field(box, "h100-0001", "CPUTot") == "224"
    assert node_field(box, "h100-0001", "RealMemory") == str(int(2048 * 1024 * 0.95))
    topo = box.run("scontrol", "show", "topology")
    leaves = {ln.split()[0]: ln for ln in topo.splitlines() if "Level=0" in ln}
    assert len(leaves) == 2
    assert any("Nodes=h100-[0001,0003]" in ln for ln in leaves.values()), topo
    assert any("Nodes=h100-[0002,0004]" in ln for ln in leaves.values()), topo


def test_two_node_job_stays_under_one_leaf_switch(box: SlurmSandbox) -> None:
    # Name order would give h100-0001,h100-0002 (two leaves); topology/tree keeps one leaf.
    out = box.run("srun", "-N", "2", "--ntasks-per-node=1", "hostname", timeout=90)
    assert sorted(out.split()) in (sorted(ORDER[:2]), sorted(ORDER[2:]))


def test_srun_spans_four_nodes_in_topology_order(box: SlurmSandbox) -> None:
    # Slurm ranks an allocation's nodes by name; the topology-ordered hostfile
    # (`gpufleet topology --hostfile`, names) with --distribution=arbitrary gives ranks in
    # fabric order, as docs/slurm.md's nccl-tests job does.
    hostfile = box.root / "hostfile"
    hostfile.write_text(render_hostfile(order(measured().values())).replace(" slots", ""))
    out = box.run("srun", "-N", "4", "-n", "4", "--distribution=arbitrary", "-l", "hostname",
                  timeout=90, env={"SLURM_HOSTFILE": str(hostfile)})  # fmt: skip
    ranks = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert [ranks[str(i)] for i in range(4)] == ORDER


def test_eight_gpu_job_lands_on_a_node_declaring_eight(box: SlurmSandbox) -> None:
    out = box.run("srun", "-N", "1", "--gres=gpu:8", "sh", "-c",
                  'echo "$SLURMD_NODENAME ${CUDA_VISIBLE_DEVICES:-none}"', timeout=90)  # fmt: skip
    node, devices = out.split()
    assert node in ORDER
    assert devices == "0,1,2,3,4,5,6,7"
    refused = box.run("srun", "-N", "1", "--gres=gpu:9", "true", check=False, timeout=30)
    assert refused == ""


def test_failing_check_drains_that_node_and_passing_resumes_it(box: SlurmSandbox) -> None:
    write_verdict(box, "h100-0002", "fail", ["rdma-link:mlx5_3"])
    run_health(box, "h100-0002")
    assert node_field(box, "h100-0002", "Reason") == "gpufleet-health:rdma-link:mlx5_3"
    states = box.node_states()
    assert states["h100-0002"] in ("drained", "draining")
    assert {s for n, s in states.items() if n != "h100-0002"} == {"idle"}
    write_verdict(box, "h100-0002", "pass", [])
    run_health(box, "h100-0002")
    assert settled_state(box, "h100-0002") == "idle"


def test_stale_report_drains_as_stale(box: SlurmSandbox) -> None:
    write_verdict(box, "h100-0004", "pass", [], age=timedelta(hours=2))
    run_health(box, "h100-0004")
    assert node_field(box, "h100-0004", "Reason") == "gpufleet-health:health-report-stale"
    write_verdict(box, "h100-0004", "pass", [])
    run_health(box, "h100-0004")
    assert settled_state(box, "h100-0004") == "idle"


def test_operator_drain_is_never_resumed_by_the_checker(box: SlurmSandbox) -> None:
    box.run("scontrol", "update", "nodename=h100-0003", "state=drain", "reason=maintenance")
    run_health(box, "h100-0003")
    assert box.node_states()["h100-0003"] == "drained"
    assert node_field(box, "h100-0003", "Reason") == "maintenance"
    write_verdict(box, "h100-0003", "fail", ["gpu-count"])
    run_health(box, "h100-0003")
    assert node_field(box, "h100-0003", "Reason") == "maintenance"
    write_verdict(box, "h100-0003", "pass", [])
    box.run("scontrol", "update", "nodename=h100-0003", "state=resume")


def sync_drains(box: SlurmSandbox, quarantined: list[str]) -> str:
    script = box.root / "sync-drains.sh"
    script.write_text(sync_drains_script("gft", quarantined))
    return box.run("bash", str(script))


def test_quarantine_drains_and_release_resumes_through_scontrol(box: SlurmSandbox) -> None:
    box.run("scontrol", "update", "nodename=h100-0001", "state=drain", "reason=maintenance")
    assert sync_drains(box, ["h100-0004"]) == "drained h100-0004\n"
    assert node_field(box, "h100-0004", "Reason") == "gpufleet-quarantine"
    # The health program resumes only its own drains: a passing node stays quarantined.
    run_health(box, "h100-0004")
    assert box.node_states()["h100-0004"] == "drained"
    assert sync_drains(box, ["h100-0004"]) == ""  # already drained: nothing to do
    assert sync_drains(box, []) == "resumed h100-0004\n"  # the operator's drain stays
    assert settled_state(box, "h100-0004") == "idle"
    assert node_field(box, "h100-0001", "Reason") == "maintenance"
    box.run("scontrol", "update", "nodename=h100-0001", "state=resume")


def test_prolog_drains_a_node_short_of_gpus_with_the_checks_name(box: SlurmSandbox) -> None:
    assert settled_state(box, "h100-0002") == "idle"
    (box.root / "health" / "h100-0002.gpus").write_text("7\n")
    try:
        out = box.run("sbatch", "--parsable", "-o", str(box.root / "log" / "job-%j.out"),
                      "-N", "1", "--wrap", "hostname", "-w", "h100-0002", timeout=30)  # fmt: skip
        job = out.strip().split(";")[0]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if box.node_states()["h100-0002"].startswith("drain"):
                break
            time.sleep(0.5)
        assert box.node_states()["h100-0002"].startswith("drain")
        reason = node_field(box, "h100-0002", "Reason")
        assert reason == "gpufleet-health:gpu-count"
        box.run("scancel", job)
    finally:
        (box.root / "health" / "h100-0002.gpus").unlink()
    box.run("scontrol", "update", "nodename=h100-0002", "state=resume")


def test_sacct_keeps_finished_jobs_across_a_slurmdbd_restart(box: SlurmSandbox) -> None:
    out = box.run(
        "sbatch",
        "--parsable",
        "-o",
        str(box.root / "log" / "job-%j.out"),
        "-N",
        "2",
        "--wrap",
        "srun hostname",
        timeout=30,
    )
    job = out.strip().split(";")[0]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state = box.run("sacct", "-n", "-X", "-P", "-j", job, "-o", "State").strip()
        if state == "COMPLETED":
            break
        time.sleep(1)
    assert state == "COMPLETED", box.logs()
    box.stop_daemon("slurmdbd")
    box.start_slurmdbd()
    listed = box.run("sacct", "-n", "-X", "-P", "-j", job, "-o", "JobID,State,NNodes")
    assert listed.strip() == f"{job}|COMPLETED|2"
