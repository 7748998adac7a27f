"""`gpufleet slurm push-secrets` end to end over the real sshd fleet, as OCI logs in: through the
bastion, as the unprivileged fleet user, under `sudo -n`, to two nodes and a controller.

The nodes of a loopback fleet share this machine's disk, so each session's ~/.bashrc points the
script's seam `GF_ROOT` at the node's own folder (sudo keeps it: tests/fleet_users.py), and a
first `gpufleet run` proves it is set on every target before any secret is pushed."""

from __future__ import annotations

import base64
import json
import os
import pwd
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from tests import sshfleet
from tests.runner.fleet_helpers import session_rc

TARGETS = ("node-0001", "node-0002")
CONTROLLER = "node-0003"
STACK = Path(__file__).resolve().parents[2] / "examples" / "Pulumi.h200-64.yaml"


def _invoke(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return {r["node"]: r for r in json.loads(result.stdout)["results"]}


@pytest.mark.sshd
def test_push_secrets_through_the_bastion_as_the_sudo_user(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    try:
        munge_uid = pwd.getpwnam("munge").pw_uid
    except KeyError:
        pytest.skip("no munge user (apt-get install munge; .ci/run does)")
    full = json.loads(fleet.write_inventory(tmp_path / "all.json").read_text())
    full["nodes"] = [n for n in full["nodes"] if n["name"] in TARGETS]
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(full))
    daemons = [fleet.node(n) for n in (*TARGETS, CONTROLLER)]
    key = os.urandom(64)
    key_file = tmp_path / "munge.key"
    key_file.write_bytes(key)
    key_file.chmod(0o400)
    password = tmp_path / "db-password"
    password.write_text("s3cret-Pass_2026\n")
    password.chmod(0o600)
    ctl = fleet.node(CONTROLLER)
    common = ["--inventory", str(inventory), "--munge-key", str(key_file),
              "--controller", f"{ctl.address}:{ctl.port}"]  # fmt: skip
    with session_rc(daemons, f'export GF_ROOT="$GPUFLEET_NODE_DIR/{token}"\n'):
        # The seam must reach the script's root shell on every target, or nothing is pushed.
        seen = _invoke("run", "--inventory", str(tmp_path / "all.json"), "--limit",
                       ",".join((*TARGETS, CONTROLLER)), "--logs", str(tmp_path / "check"),
                       "--sudo", "--json", "--", 'echo "$(id -u) $GF_ROOT"')  # fmt: skip
        for d in daemons:
            assert seen[d.name]["output_tail"] == [f"0 {fleet.node_dir(d.name) / token}"]
        first = _invoke("slurm", "push-secrets", *common, "--logs", str(tmp_path / "logs-1"),
                        "--json")  # fmt: skip
        # Again, with the accounting DB password: slurmdbd.conf goes to the controller only.
        second = _invoke("slurm", "push-secrets", *common, "--logs", str(tmp_path / "logs-2"),
                         "--stack-config", str(STACK), "--db-password-file", str(password),
                         "--json")  # fmt: skip

    assert set(first) == {*TARGETS, "slurm-controller-0"}
    assert all(r["status"] in ("ok", "changed") for r in [*first.values(), *second.values()])
    for d in daemons:
        installed = fleet.node_dir(d.name) / token / "etc" / "munge" / "munge.key"
        info = installed.stat()
        assert installed.read_bytes() == key
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o400, munge_uid)
    assert first["node-0001"]["output_tail"][-1].startswith("installed /etc/munge/munge.key")
    assert second["node-0001"]["output_tail"][-1].startswith("unchanged /etc/munge/munge.key")
    assert second["slurm-controller-0"]["output_tail"][-1].startswith(
        "installed /etc/slurm/slurmdbd.conf"
    )
    dbd = fleet.node_dir(CONTROLLER) / token / "etc" / "slurm" / "slurmdbd.conf"
    info = dbd.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, pwd.getpwnam("slurm").pw_uid)
    assert "StoragePass=s3cret-Pass_2026" in dbd.read_text().splitlines()
    assert not any(
        (fleet.node_dir(n) / token / "etc" / "slurm").exists() for n in TARGETS
    )  # nodes never get the DB password
    # The key travels only inside the uploaded script, which is removed after it ran; neither
    # the run's logs and results nor the nodes' script folder hold it.
    b64 = base64.b64encode(key).decode()
    folders = [tmp_path / "logs-1", tmp_path / "logs-2", *(d.home / ".gpufleet" for d in daemons)]
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    assert files
    for secret in (b64, "s3cret-Pass_2026"):
        assert not [p for p in files if secret in p.read_text(errors="replace")], secret
