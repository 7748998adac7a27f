"""`gpufleet quarantine replace`: quarantined nodes become the `replace_nodes` bumps that the
program turns into replacements (instance OCID for cluster networks, node name for compute
clusters), printed as `pulumi config set --path` commands; nothing is printed when any node
cannot be replaced."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.health.quarantine import Quarantine, default_path, save
from infra.offline.plan import run_plan
from tests.infra.test_scale_features import stack

OCID = "ocid1.instance.oc1.iad.aaaaaaaabadnode000000000001"


def inventory(tmp_path: Path, *, with_ids: bool = True) -> Path:
    nodes = [
        {"name": f"h100-000{i}", "host": f"10.0.1.{i}", "pool": "h100", "shape": "BM.GPU.H100.8"}
        for i in (1, 2)
    ]
    if with_ids:
        nodes[0]["instance_id"] = OCID
        nodes[1]["instance_id"] = OCID.replace("01", "02")
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"ssh": {"user": "opc"}, "nodes": nodes}))
    return path


def replace(inv: Path, config: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["quarantine", "replace", "--inventory", str(inv), "--stack-config", str(config)]
    )
    return result.exit_code, result.stdout, result.stderr


def apply_config_set(config: Path, command: str) -> None:
    """What `pulumi config set --path 'gpufleet:pools[I].replace_nodes["KEY"]' N` writes into the
    stack file (an integer value is stored as a number with --path)."""
    argv = shlex.split(command)
    assert argv[:4] == ["pulumi", "config", "set", "--path"], argv
    m = re.fullmatch(r'gpufleet:pools\[(\d+)\]\.replace_nodes\["([^"]+)"\]', argv[4])
    assert m is not None, argv[4]
    doc = yaml.safe_load(config.read_text())
    pool = doc["config"]["gpufleet:pools"][int(m[1])]
    pool.setdefault("replace_nodes", {})[m[2]] = int(argv[5])
    config.write_text(yaml.safe_dump(doc))


def test_a_cluster_network_node_is_replaced_by_its_ocid_through_the_plan(tmp_path: Path) -> None:
    inv, config = inventory(tmp_path), stack(tmp_path, "prod", {})
    save(default_path(inv), Quarantine().add("h100-0001", "Xid 79"))
    code, out, err = replace(inv, config)
    assert code == 0, err
    assert out == (f"pulumi config set --path 'gpufleet:pools[0].replace_nodes[\"{OCID}\"]' 1\n")
    assert "1 node(s) to replace" in err and "pulumi preview" in err
    apply_config_set(config, out.strip())
    plan = run_plan(config)
    (detach,) = [r for r in plan.resources if r["type"] == "pulumi-python:dynamic:Resource"]
    assert detach["inputs"]["instance_id"] == OCID and detach["inputs"]["generation"] == 1
    # once replaced, a second quarantine of the same OCID bumps the generation again
    code, out, _ = replace(inv, config)
    assert code == 0 and out.strip().endswith(" 2")


def test_a_compute_cluster_node_is_replaced_by_name(tmp_path: Path) -> None:
    inv = inventory(tmp_path, with_ids=False)
    config = stack(tmp_path, "cc", {"mode": "compute_cluster", "replace_nodes": {"h100-0002": 3}})
    save(default_path(inv), Quarantine().add("h100-0002", "row remap failure"))
    code, out, err = replace(inv, config)
    assert code == 0, err
    assert out == "pulumi config set --path 'gpufleet:pools[0].replace_nodes[\"h100-0002\"]' 4\n"


def test_nodes_that_cannot_be_replaced_print_nothing_and_say_why(tmp_path: Path) -> None:
    inv, config = inventory(tmp_path, with_ids=False), stack(tmp_path, "x", {})
    save(default_path(inv), Quarantine().add("h100-0001", "a").add("gone-0009", "b"))
    code, out, err = replace(inv, config)
    assert code == 2 and out == ""
    assert "h100-0001: the inventory has no instance_id" in err
    assert "rebuild the inventory with `gpufleet inventory --from-stack-output`" in err
    assert "gone-0009: not in the inventory" in err


def test_nothing_quarantined_is_not_an_error(tmp_path: Path) -> None:
    code, out, err = replace(inventory(tmp_path), stack(tmp_path, "n", {}))
    assert code == 0 and out == "" and "nothing is quarantined" in err


def test_stack_outputs_carry_instance_ids_into_the_inventory(tmp_path: Path) -> None:
    outputs = {
        "bastion_public_ip": "203.0.113.10", "ssh_user": "opc",
        "pools": {"h100": {"shape": "BM.GPU.H100.8", "nodes": [
            {"name": "h100-0001", "id": OCID, "private_ip": "10.0.1.1"}]}},
    }  # fmt: skip
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    out = tmp_path / "i.json"
    args = ["inventory", "--from-stack-output", str(tmp_path / "outputs.json"), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["nodes"][0]["instance_id"] == OCID
