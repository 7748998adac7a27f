"""`gpufleet health` over SSH against the real sshd fleet (tests/sshfleet.py), with fake GPU and
RDMA tools per node: each node's ~/.bashrc puts ~/bin first on PATH, and the fakes print the
recorded/derived outputs the facts tests use. Facts are gathered the default way, as the
fleet's unprivileged login user under `sudo -n` (the fleet's sudoers drop-in keeps PATH, where a
real node has these tools in /usr/bin). No /sys/class/infiniband here, so no 802.1X facts
are gathered: the test ignores `dot1x` and checks it was downgraded, not passed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from tests import sshfleet
from tests.health.conftest import H200, healthy_h200_files, read

pytestmark = pytest.mark.sshd

FAKES = {
    "nvidia-smi": 'case "$*" in *-x*) cat "$F/nvidia-smi-xml.txt";; '
    '*nvlink*) cat "$F/nvlink.txt";; *--query-gpu*) cat "$F/gpu-power.txt";; '
    '*) cat "$F/fabric-manager.txt";; esac',
    "ibv_devinfo": 'cat "$F/ibv-devinfo.txt"',
    "rpm": 'cat "$F/oca-version.txt"',
    "ibdev2netdev": 'cat "$F/ibdev2netdev.txt"',
    "ip": 'cat "$F/ip-addr.txt"',
    "findmnt": 'cat "$F/mounts.txt"',
    "dmesg": "exit 0",
    "curl": 'case "$*" in */opc/v2/host*) cat "$F/imds-host.txt";; '
    '*) cat "$F/imds-instance.txt";; esac',
    "cat": 'case "$1" in /var/run/oci-hpc/*) exec /bin/cat "$F/oca-rdma.txt";; esac; '
    'exec /bin/cat "$@"',
}


def _install(home: Path, facts: Path) -> None:
    (home / ".bashrc").write_text('export PATH="$HOME/bin:$PATH"\n')
    bin_dir = home / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\nF={facts}\n{body}\n")
        tool.chmod(0o755)


def test_health_over_ssh_judges_each_node(tmp_path: Path) -> None:
    if not sshfleet.sshd_available():
        pytest.skip("OpenSSH server not installed")
    fleet = sshfleet.start_fleet(tmp_path / "fleet", 2)
    try:
        for i, d in enumerate(fleet.nodes):
            facts = tmp_path / "facts" / d.name
            facts.mkdir(parents=True)
            for key, path in healthy_h200_files().items():
                text = read(path)
                if key == "ibdev2netdev" and i == 1:
                    text = text.replace(
                        "mlx5_3 port 1 ==> rdma1 (Up)", "mlx5_3 port 1 ==> rdma1 (Down)"
                    )
                (facts / f"{key}.txt").write_text(text)
            _install(d.home, facts)
        fleet.give(*(d.home for d in fleet.nodes))
        inv = fleet.write_inventory(tmp_path / "inventory.json")
        doc = json.loads(inv.read_text())
        for node in doc["nodes"]:
            node["shape"] = H200.name
        inv.write_text(json.dumps(doc))
        result = CliRunner().invoke(cli, [
            "health", "--inventory", str(inv), "--ignore-check", "dot1x",
            "--logs", str(tmp_path / "logs"), "--json",
        ])  # fmt: skip
    finally:
        fleet.stop()
    report = json.loads(result.stdout)
    status = {n["node"]: n for n in report["nodes"]}
    first, second = (fleet.nodes[0].name, fleet.nodes[1].name)
    assert status[first]["status"] == "pass", status[first]["findings"]
    assert status[second]["status"] == "fail"
    assert status[second]["failing_checks"] == ["rdma-link:mlx5_3"]
    dot1x = [f for f in status[first]["findings"] if f["check"].startswith("dot1x:")]
    assert len(dot1x) == 8  # one per RDMA netdev, none gathered here
    assert all(f["severity"] == "warning" and f["ignored_by"] == "dot1x" for f in dot1x)
    assert result.exit_code == 1
