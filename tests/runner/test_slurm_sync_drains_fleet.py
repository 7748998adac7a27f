"""`gpufleet slurm sync-drains` end to end over the real sshd fleet, as OCI logs in: through the
bastion, as the unprivileged fleet user, under `sudo -n`. The "controller" is a fleet node whose
`scontrol` is a recording stand-in (the real scontrol is exercised in tests/slurm)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from tests import sshfleet
from tests.runner.fleet_helpers import session_rc

# node-0001 is already drained by its quarantine; node-0002 is quarantined and idle; node-0003
# was drained by gpufleet and has been released; node-0004 was drained by an operator.
SCONTROL = r"""#!/bin/bash
echo "$(id -u) $*" >>CALLS
if [[ $* == "show nodes -o" ]]; then
  for n in node-0001 node-0002 node-0003 node-0004; do echo "NodeName=$n State=IDLE"; done
  exit 0
fi
if [[ $1 == show ]]; then
  case $4 in
    node-0001) echo "NodeName=node-0001 State=IDLE+DRAIN Reason=gpufleet-quarantine" ;;
    node-0003) echo "NodeName=node-0003 State=IDLE+DRAIN Reason=gpufleet-quarantine" ;;
    node-0004) echo "NodeName=node-0004 State=IDLE+DRAIN Reason=operator" ;;
    *) echo "NodeName=$4 State=IDLE" ;;
  esac
  exit 0
fi
[[ $1 == update ]] || exit 1
"""


@pytest.mark.sshd
def test_sync_drains_through_the_bastion_as_the_sudo_user(
    fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    (tmp_path / "quarantine.json").write_text(json.dumps({"schema": 1, "nodes": [
        {"node": n, "reason": "health gate", "checks": ["gpu-count"],
         "since": "2026-12-06T00:00:00Z"} for n in ("node-0001", "node-0002")]}))  # fmt: skip
    ctl = fleet.node("node-0000")
    # ~/.bashrc puts ~/bin first on PATH (sudo keeps PATH in the fleet's drop-in), as the
    # health fleet test does; both are restored after, the fleet being shared.
    tool = ctl.home / "bin" / "scontrol"
    calls = tmp_path / "scontrol.calls"
    tool.parent.mkdir(parents=True, exist_ok=True)
    tool.write_text(SCONTROL.replace("CALLS", str(calls)))
    tool.chmod(0o755)
    try:
        with session_rc([ctl], 'export PATH="$HOME/bin:$PATH"\n'):
            result = CliRunner().invoke(cli, [
                "slurm", "sync-drains", "--inventory", str(inventory),
                "--controller", f"{ctl.address}:{ctl.port}", "--logs", str(tmp_path / "logs"),
                "--json"])  # fmt: skip
        assert result.exit_code == 0, result.output
        [node] = json.loads(result.stdout)["results"]
        assert node["status"] == "ok" and node["host"] == ctl.address, node
        recorded = calls.read_text().splitlines()
    finally:
        tool.unlink(missing_ok=True)
    updates = [c for c in recorded if " update " in f" {c} "]
    # under sudo (uid 0); exactly one drain and one resume; node-0001 and the operator's drain
    # are left alone
    assert all(c.startswith("0 ") for c in recorded), recorded
    assert len(updates) == 2, updates
    assert "0 update nodename=node-0002 state=drain reason=gpufleet-quarantine" in updates
    assert "0 update nodename=node-0003 state=resume" in updates
