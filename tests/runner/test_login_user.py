"""The OCI login model: nodes and bastion accept an unprivileged user (`opc`, `ubuntu`) with
passwordless sudo, and every default path elevates ALL of its work with `sudo -n`."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from tests import sshfleet
from tests.runner.fleet_helpers import gpufleet

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
