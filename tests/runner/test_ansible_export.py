"""The Ansible export, fed to the real consumer: `ansible` (ansible-core) reaches every node of
a real sshd fleet through its bastion, as the fleet's unprivileged user with sudo, with strict
host keys on both hops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import sshfleet
from tests.runner.fleet_helpers import fleet_for, gpufleet

pytestmark = pytest.mark.sshd
ANSIBLE = Path(sys.executable).with_name("ansible")


@pytest.fixture(scope="module")
def ansible_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshfleet.Fleet]:
    if shutil.which("ssh") is None or not ANSIBLE.exists():
        pytest.skip("needs the OpenSSH client and ansible-core (pip install -e '.[test]')")
    yield from fleet_for(tmp_path_factory, "ansible-fleet", 3)


def _export(fleet: sshfleet.Fleet, tmp_path: Path, name: str) -> Path:
    inventory = fleet.write_inventory(tmp_path / "inventory.json", pools={"infer": ["node-0002"]})
    hosts = tmp_path / name
    result = gpufleet("inventory", "--inventory", str(inventory), "--ansible", str(hosts))
    assert result.exit_code == 0, result.output
    return hosts


def _ansible(hosts: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        LC_ALL="C.UTF-8",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        # no ControlPersist master left behind after the test
        ANSIBLE_SSH_ARGS="-o ControlMaster=no",
        ANSIBLE_PYTHON_INTERPRETER="auto_silent",
        ANSIBLE_FORCE_COLOR="0",
    )
    return subprocess.run(
        [str(ANSIBLE), "all", "-i", str(hosts), "--one-line", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


@pytest.mark.parametrize("name", ["hosts.ini", "hosts.yaml"])
def test_ansible_reaches_every_node_through_the_bastion(
    ansible_fleet: sshfleet.Fleet, tmp_path: Path, name: str
) -> None:
    hosts = _export(ansible_fleet, tmp_path, name)
    before = ansible_fleet.bastion_log_size()

    ping = _ansible(hosts, tmp_path, "-m", "ping")
    become = _ansible(hosts, tmp_path, "-m", "command", "-a", "id -u", "--become")

    assert ping.returncode == 0, ping.stdout + ping.stderr
    pongs = [line for line in ping.stdout.splitlines() if '"ping": "pong"' in line]
    assert sorted(line.split(" | ")[0] for line in pongs) == [d.name for d in ansible_fleet.nodes]
    assert become.returncode == 0, become.stdout + become.stderr
    assert sorted(
        line.split(" | ")[0] for line in become.stdout.splitlines() if "rc=0" in line
    ) == [d.name for d in ansible_fleet.nodes]
    assert all(line.endswith("(stdout) 0") for line in become.stdout.splitlines() if "rc=0" in line)
    # every session went through the bastion (nodes also refuse any other path: AllowUsers)
    assert ansible_fleet.bastion_log_since(before).count("new direct-tcpip") >= 6


def test_both_hops_check_host_keys_strictly(ansible_fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    hosts = _export(ansible_fleet, tmp_path, "hosts.yaml")
    known = ansible_fleet.known_hosts.read_text().splitlines()
    bastion_entry = f"[{ansible_fleet.bastion.address}]:{ansible_fleet.bastion.port} "
    node_entry = f"[{ansible_fleet.nodes[0].address}]:{ansible_fleet.nodes[0].port} "
    saved = ansible_fleet.known_hosts.read_text()
    try:
        for missing in (bastion_entry, node_entry):
            ansible_fleet.known_hosts.write_text(
                "".join(f"{line}\n" for line in known if not line.startswith(missing))
            )
            run = _ansible(hosts, tmp_path, "-m", "ping", "--limit", "node-0000")
            assert run.returncode != 0
            assert "Host key verification failed" in run.stdout + run.stderr, missing
    finally:
        ansible_fleet.known_hosts.write_text(saved)
