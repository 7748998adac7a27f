"""The OCI login model: nodes and bastion accept an unprivileged user (`opc`, `ubuntu`) with
passwordless sudo, and every default path elevates ALL of its work with `sudo -n`."""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.inventory import from_stack_output
from tests import sshfleet
from tests.runner.fleet_helpers import fleet_for, gpufleet

pytestmark = pytest.mark.sshd


def _run(fleet: sshfleet.Fleet, tmp_path: Path, *words: str) -> dict[str, dict[str, object]]:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    result = gpufleet(
        "run", "--inventory", str(inventory), "--limit", "node-0000,node-0001",
        "--logs", str(tmp_path / "logs"), "--json", *words,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {r["node"]: r for r in json.loads(result.stdout)["results"]}


def test_the_fleet_logs_in_as_an_unprivileged_user(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating the login user needs root")
    assert fleet.user != "root" and fleet.login.sudo
    uid = pwd.getpwnam(fleet.user).pw_uid
    results = _run(fleet, tmp_path, "--", "id", "-u")
    assert all(r["output_tail"] == [str(uid)] for r in results.values())


def test_sudo_covers_every_command_of_the_line(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    if not fleet.login.sudo:
        pytest.skip("no passwordless sudo for the fleet's user")
    # `a; b`, a pipe, a function and a multi-line script: every part runs as root
    line = 'id -u; id -u | cat; f() { id -u; }; f\nid -u && echo "$GPUFLEET_NODE"'
    results = _run(fleet, tmp_path, "--sudo", "--", line)
    for name, r in results.items():
        assert r["output_tail"] == ["0", "0", "0", "0", name], r


def test_without_sudo_nothing_is_elevated(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    results = _run(fleet, tmp_path, "--", "id -u; id -u")
    uid = str(os.geteuid() if fleet.user == "root" else pwd.getpwnam(fleet.user).pw_uid)
    assert all(r["output_tail"] == [uid, uid] for r in results.values())


@pytest.fixture(scope="module")
def two_image_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshfleet.Fleet]:
    if os.geteuid() != 0:
        pytest.skip("creating login users needs root")
    yield from fleet_for(tmp_path_factory, "two-images", 3, other_logins=("ubuntu",))


def test_each_pool_logs_in_as_its_images_user(
    two_image_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    fleet = two_image_fleet
    ubuntu = fleet.others["ubuntu"].name
    # what the Pulumi program exports: an Oracle Linux pool (opc) and an Ubuntu pool
    outputs = {
        "bastion_public_ip": fleet.bastion.address,
        "ssh_user": fleet.user,
        "pools": {
            "ol": {"shape": "BM.GPU.H100.8", "ssh_user": fleet.user, "nodes": [
                {"name": "node-0000", "private_ip": fleet.nodes[0].address}]},
            "ub": {"shape": "BM.GPU.H100.8", "ssh_user": ubuntu, "nodes": [
                {"name": d.name, "private_ip": d.address} for d in fleet.nodes[1:]]},
        },
    }  # fmt: skip
    source = tmp_path / "outputs.json"
    source.write_text(json.dumps(outputs))
    doc = from_stack_output(
        source, identity_file=str(fleet.user_key), known_hosts=str(fleet.known_hosts)
    )
    # loopback daemons listen on their own ports, where a real cloud uses 22 everywhere
    doc["ssh"]["bastion"]["port"] = fleet.bastion.port
    for node in doc["nodes"]:
        node["port"] = fleet.node(node["name"]).port
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(doc))

    result = gpufleet(
        "run", "--inventory", str(inventory), "--logs", str(tmp_path / "logs"), "--json",
        "--sudo", "--", 'echo "$SUDO_USER"; id -u',
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    tails = {r["node"]: r["output_tail"] for r in json.loads(result.stdout)["results"]}
    assert tails == {
        "node-0000": [fleet.user, "0"],
        "node-0001": [ubuntu, "0"],
        "node-0002": [ubuntu, "0"],
    }
