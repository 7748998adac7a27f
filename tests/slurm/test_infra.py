"""The Slurm controller under Pulumi's mock runtime: private, reachable by SSH only from the
bastion, exactly Slurm's ports open, no secret in metadata, the optional DB password a secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.offline.plan import run_plan
from tests.infra.conftest import EXAMPLE, ROOT

H200 = ROOT / "examples" / "Pulumi.h200-64.yaml"
RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
# pulumi/pulumi sdk/python/lib/pulumi/runtime/rpc.py: a serialized secret carries this key.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.fixture(scope="module")
def plan() -> Any:
    return run_plan(H200)


def rules_of(plan: Any, group: str) -> set[tuple[str, int, int]]:
    """(source NSG, first port, last port) of every ingress rule on `group`."""
    out = set()
    for r in plan.resources:
        i = r["inputs"]
        if (
            r["type"] == RULE
            and i["networkSecurityGroupId"] == f"{group}-id"
            and i["direction"] == "INGRESS"
        ):
            assert i["sourceType"] == "NETWORK_SECURITY_GROUP", r["name"]
            ports = i.get("tcpOptions", {}).get("destinationPortRange", {"min": 0, "max": 65535})
            out.add((i["source"].removesuffix("-id"), ports["min"], ports["max"]))
    return out


def test_controller_and_backup_are_private_in_the_node_subnet(plan: Any) -> None:
    ctl = [
        r
        for r in plan.resources
        if r["parent"] == "h200-slurm" and r["type"] == "oci:Core/instance:Instance"
    ]
    assert sorted(r["inputs"]["createVnicDetails"]["hostnameLabel"] for r in ctl) == [
        "h200-ctl", "h200-ctl-backup"]  # fmt: skip
    for r in ctl:
        vnic = r["inputs"]["createVnicDetails"]
        assert vnic["assignPublicIp"] == "false"
        assert vnic["subnetId"] == "h200-nodes-subnet-id"
        assert vnic["nsgIds"] == ["h200-slurm-nsg-id"]
        # No user data: nothing secret (or otherwise) rides in instance metadata.
        assert set(r["inputs"]["metadata"]) == {"ssh_authorized_keys"}


def test_exactly_slurm_ports_are_open(plan: Any) -> None:
    assert rules_of(plan, "h200-slurm-nsg") == {
        ("h200-bastion-nsg", 22, 22),
        ("h200-nodes-nsg", 6817, 6817),
        ("h200-slurm-nsg", 6817, 6817),
        ("h200-nodes-nsg", 6819, 6819),
        ("h200-slurm-nsg", 6819, 6819),
    }
    from_ctl = {r for r in rules_of(plan, "h200-nodes-nsg") if r[0] == "h200-slurm-nsg"}
    assert from_ctl == {("h200-slurm-nsg", 6818, 6818), ("h200-slurm-nsg", 60001, 63000)}


def test_stack_output_names_the_controllers(plan: Any) -> None:
    assert [c["name"] for c in plan.outputs["slurm"]["controllers"]] == [
        "h200-ctl",
        "h200-ctl-backup",
    ]


def test_no_controller_when_slurm_is_off() -> None:
    plan = run_plan(EXAMPLE)
    assert not [r for r in plan.resources if r["type"] == "gpufleet:slurm:SlurmController"]
    assert "slurm" not in plan.outputs


def test_oci_mysql_password_is_a_secret(tmp_path: Path) -> None:
    doc = yaml.safe_load(H200.read_text())
    doc["config"]["gpufleet:slurm"]["accounting"] = {"database": "oci_mysql"}
    stack = tmp_path / "Pulumi.mysql.yaml"
    stack.write_text(yaml.safe_dump(doc))
    plan = run_plan(stack)
    (db,) = [r for r in plan.resources if r["type"] == "oci:Mysql/mysqlDbSystem:MysqlDbSystem"]
    assert SECRET_SIG in db["inputs"]["adminPassword"]
    assert db["inputs"]["subnetId"] == "h200-nodes-subnet-id"
    assert ("h200-slurm-nsg", 3306, 3306) in rules_of(plan, "h200-slurm-nsg")
