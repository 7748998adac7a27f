"""join_slurm, the last bootstrap step, against the fakes: skipped unless Slurm is enabled; slurmd
never started without the munge key or a passing health verdict (each guard both ways); the
Slurm name as hostname on cluster networks; a re-run changes nothing."""

from __future__ import annotations

import json

from tests.node_script.conftest import Node
from tests.render.configs import config_with, pool

SLURM = {"enabled": True, "version": "23.11.4"}


def enabled(mode: str = "compute_cluster") -> object:
    return config_with(pool("BM.GPU.H100.8", "ubuntu-24.04", mode=mode, name="h100"), slurm=SLURM)


def healthy(node: Node, verdict: str = "pass") -> None:
    node.write("var/lib/gpufleet/health.json", json.dumps({"verdict": verdict}, indent=2))


def test_skipped_when_slurm_is_off(make_node) -> None:  # type: ignore[no-untyped-def]
    node = make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-24.04")))
    step = node.run("--only", "join_slurm").by_step()["join_slurm"]
    assert step["status"] == "skipped"
    assert "gpufleet:slurm.enabled is false" in step["message"]


def test_no_munge_key_no_slurmd(make_node) -> None:  # type: ignore[no-untyped-def]
    node = make_node(enabled())
    node.write("hostname", "h100-0001\n", base=node.state)
    healthy(node)
    step = node.run("--only", "join_slurm").by_step()["join_slurm"]
    assert step["status"] == "failed"
    assert "no munge key at /etc/munge/munge.key" in step["message"]
    assert not (node.state / "units" / "slurmd.service.enabled").exists()


def test_failing_health_verdict_no_slurmd(make_node) -> None:  # type: ignore[no-untyped-def]
    node = make_node(enabled())
    node.write("hostname", "h100-0001\n", base=node.state)
    node.write("etc/munge/munge.key", "k" * 1024)
    healthy(node, "fail")
    step = node.run("--only", "join_slurm").by_step()["join_slurm"]
    assert step["status"] == "failed"
    assert "health verdict in /var/lib/gpufleet/health.json is not pass" in step["message"]
    assert not (node.state / "units" / "slurmd.service.enabled").exists()


def test_joins_then_rerun_is_ok(make_node) -> None:  # type: ignore[no-untyped-def]
    node = make_node(enabled())
    node.write("hostname", "h100-0001\n", base=node.state)
    node.write("etc/munge/munge.key", "k" * 1024)
    healthy(node)
    first = node.run("--only", "join_slurm").by_step()["join_slurm"]
    assert first["status"] == "changed", first
    assert (node.state / "units" / "slurmd.service.enabled").exists()
    assert (node.state / "units" / "munge.service.enabled").exists()
    options = (node.root / "etc/default/slurmd").read_text()
    assert options == 'SLURMD_OPTIONS="--conf-server dev-ctl:6817"\n'
    assert (node.root / "usr/local/sbin/gpufleet-slurm-health").exists()
    again = node.run("--only", "join_slurm").by_step()["join_slurm"]
    assert again["status"] == "ok"
    assert again["message"] == "slurmd running as h100-0001"


def test_cluster_network_node_takes_its_display_name(make_node) -> None:  # type: ignore[no-untyped-def]
    node = make_node(enabled("cluster_network"))
    node.write("instance/displayName", "inst-abcde-dev-h100", base=node.imds)
    node.write("etc/munge/munge.key", "k" * 1024)
    healthy(node)
    step = node.run("--only", "join_slurm").by_step()["join_slurm"]
    assert step["status"] == "changed", step
    assert (node.state / "hostname").read_text() == "inst-abcde-dev-h100\n"
    assert "hostnamectl set-hostname inst-abcde-dev-h100" in node.calls()
