"""`gpufleet inventory` exports: quarantine excluded (both ways), pool sizes carried from the
stack, only the active N per pool in hostfile / Ansible exports, spares named and swapped in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from bootstrap.cli import cli
from bootstrap.health.quarantine import Quarantine, default_path, save
from bootstrap.inventory import InventoryError, from_stack_output, load_inventory
from bootstrap.inventory.model import PoolSize

OUTPUTS: dict[str, Any] = {
    "bastion_public_ip": "203.0.113.10",
    "ssh_user": "opc",
    "pools": {
        "h100": {
            "shape": "BM.GPU.H100.8",
            "nodes_requested": 3,
            "spares": 1,
            "nodes": [{"name": f"h100-000{i}", "private_ip": f"10.0.1.{i}"} for i in range(1, 5)],
        },
        "infer": {  # an older stack output: no nodes_requested
            "shape": "BM.GPU.L40S.4",
            "nodes": [{"name": "infer-0001", "private_ip": "10.0.2.5"}],
        },
    },
}


def _outputs(tmp_path: Path, doc: object = OUTPUTS) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(doc))
    return path


def _run(tmp_path: Path, *args: str) -> Result:
    """`gpufleet inventory ARGS`; without a health report the hostfile needs --allow-unchecked
    (the health-gated cases below write a report, which then decides)."""
    return CliRunner().invoke(cli, ["inventory", *args, "--allow-unchecked"])


def _from_stack(tmp_path: Path, *extra: str) -> Result:
    return _run(
        tmp_path,
        "--from-stack-output", str(_outputs(tmp_path)), "--out", str(tmp_path / "inv.json"),
        "--hostfile", str(tmp_path / "hostfile"), "--ansible", str(tmp_path / "hosts.yaml"),
        *extra,
    )  # fmt: skip


def _hostfile(tmp_path: Path) -> list[str]:
    return (tmp_path / "hostfile").read_text().split()


def _ansible_hosts(tmp_path: Path) -> set[str]:
    doc = yaml.safe_load((tmp_path / "hosts.yaml").read_text())
    return {h for group in doc["all"]["children"].values() for h in group["hosts"]}


# --- the contract: pools carried from the stack, old inventories still valid -------------------


def test_stack_output_carries_nodes_requested_and_spares(tmp_path: Path) -> None:
    doc = from_stack_output(_outputs(tmp_path))
    assert doc["pools"] == {"h100": {"nodes_requested": 3, "spares": 1}}
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(doc))
    inv = load_inventory(path)
    assert inv.pool_sizes == {"h100": PoolSize(3, 1)}
    assert inv.select(pool="h100").pool_sizes == inv.pool_sizes  # survives a selection


def test_old_stack_output_gives_an_inventory_without_pools(tmp_path: Path) -> None:
    old = json.loads(json.dumps(OUTPUTS))
    del old["pools"]["h100"]["nodes_requested"], old["pools"]["h100"]["spares"]
    doc = from_stack_output(_outputs(tmp_path, old))
    assert "pools" not in doc
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(doc))
    assert load_inventory(path).pool_sizes == {}


def test_bad_pool_sizes_are_named(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(OUTPUTS))
    bad["pools"]["h100"]["spares"] = -1
    with pytest.raises(InventoryError) as err:
        from_stack_output(_outputs(tmp_path, bad))
    assert err.value.problems == ["pools.h100: output 'spares': must be an integer >= 0, got -1"]
    inv = {
        "ssh": {"user": "opc"},
        "nodes": [{"name": "a", "host": "h", "pool": "p"}],
        "pools": {"p": {"spares": True, "extra": 1}, "bad name": {}},
    }
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(inv))
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    assert err.value.problems == [
        "pools.p: field 'extra': unknown field (allowed: 'gpu_power_cap_w', 'nodes_requested', "
        "'spares')",
        "pools.p: field 'nodes_requested': is required",
        "pools.p: field 'spares': must be an integer >= 0, got true",
        "pools['bad name']: pool names are 1-63 letters, digits, '.', '_' or '-'",
    ]


# --- quarantine, both ways ----------------------------------------------------------------------


def test_without_quarantined_nodes_everything_is_exported(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        "--from-stack-output", str(_outputs(tmp_path)), "--out", str(tmp_path / "inv.json"),
        "--hostfile", str(tmp_path / "hostfile"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    q_path = default_path(tmp_path / "inv.json")
    assert f"quarantine: 0 nodes excluded, list at {q_path} (no such file yet)" in result.stderr
    assert len(load_inventory(tmp_path / "inv.json").nodes) == 5
    assert "counts as passing" in result.stderr
    # h100 keeps its 3 requested (by name without topology facts); infer keeps its one node
    assert _hostfile(tmp_path) == ["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.5"]
    assert "pool h100: 3 active, 1 spares ready: h100-0004" in result.stderr


def test_quarantined_nodes_leave_every_export(tmp_path: Path) -> None:
    q_path = default_path(tmp_path / "inv.json")
    save(q_path, Quarantine().add("infer-0001", "Xid 79").add("h100-0002", "rdma"))
    result = _from_stack(tmp_path)
    assert result.exit_code == 0, result.output
    assert f"quarantine: 2 nodes excluded, list at {q_path}: h100-0002, infer-0001" in result.stderr
    written = {n.name for n in load_inventory(tmp_path / "inv.json").nodes}
    assert written == {"h100-0001", "h100-0003", "h100-0004"}  # the spare stays in the JSON
    assert _ansible_hosts(tmp_path) == written
    assert _hostfile(tmp_path) == ["10.0.1.1", "10.0.1.3", "10.0.1.4"]


def test_existing_inventory_export_honours_an_explicit_quarantine_file(tmp_path: Path) -> None:
    assert _from_stack(tmp_path).exit_code == 0
    q_file = tmp_path / "elsewhere.json"
    save(q_file, Quarantine().add("h100-0001", "bad"))
    result = _run(
        tmp_path, "--inventory", str(tmp_path / "inv.json"), "--quarantine-file", str(q_file),
        "--hostfile", str(tmp_path / "hostfile"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"1 nodes excluded, list at {q_file}: h100-0001" in result.stderr
    assert "10.0.1.1" not in _hostfile(tmp_path)


def test_every_node_quarantined_writes_no_inventory(tmp_path: Path) -> None:
    q = Quarantine()
    for pool in OUTPUTS["pools"].values():
        for node in pool["nodes"]:
            q = q.add(node["name"], "bad")
    save(default_path(tmp_path / "inv.json"), q)
    result = _from_stack(tmp_path)
    assert result.exit_code == 2 and "every node is quarantined" in result.stderr
    assert not (tmp_path / "inv.json").exists()


def test_broken_quarantine_list_is_exit_2(tmp_path: Path) -> None:
    default_path(tmp_path / "inv.json").write_text('{"schema": 1, "nodes": [')
    result = _from_stack(tmp_path)
    assert result.exit_code == 2 and "quarantine.json" in result.stderr
    assert not (tmp_path / "inv.json").exists()


# --- spares: the active N, swap-in, health ------------------------------------------------------


def test_quarantine_swaps_in_the_spare_on_the_next_export(tmp_path: Path) -> None:
    spares = tmp_path / "spares.json"
    assert _from_stack(tmp_path, "--spares", str(spares)).exit_code == 0
    assert _ansible_hosts(tmp_path) == {"h100-0001", "h100-0002", "h100-0003", "infer-0001"}
    assert json.loads(spares.read_text())["pools"]["h100"]["spares"] == ["h100-0004"]

    save(default_path(tmp_path / "inv.json"), Quarantine().add("h100-0003", "gpu-count"))
    result = _run(
        tmp_path, "--inventory", str(tmp_path / "inv.json"), "--spares", str(spares),
        "--hostfile", str(tmp_path / "hostfile"), "--ansible", str(tmp_path / "hosts.yaml"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _hostfile(tmp_path) == ["10.0.1.1", "10.0.1.2", "10.0.1.4", "10.0.2.5"]
    assert _ansible_hosts(tmp_path) == {"h100-0001", "h100-0002", "h100-0004", "infer-0001"}
    assert "pool h100: 3 active of 3 requested, no spares left" in result.stderr
    assert json.loads(spares.read_text())["pools"]["h100"]["spares"] == []


def test_health_report_gates_and_a_short_pool_warns_without_failing(tmp_path: Path) -> None:
    health = {"nodes": [{"node": n, "status": s} for n, s in [
        ("h100-0001", "pass"), ("h100-0002", "fail"), ("h100-0003", "unreachable"),
        ("h100-0004", "pass"), ("infer-0001", "pass"),
    ]]}  # fmt: skip
    (tmp_path / "health.json").write_text(json.dumps(health))
    result = _from_stack(tmp_path)
    assert result.exit_code == 0, result.output
    assert "health: 3 nodes passed per" in result.stderr
    assert "warning: pool h100: only 2 passing nodes for 3 requested" in result.stderr
    assert _hostfile(tmp_path) == ["10.0.1.1", "10.0.1.4", "10.0.2.5"]
    # failing nodes are not quarantined here, so the inventory JSON keeps them
    assert len(load_inventory(tmp_path / "inv.json").nodes) == 5


def test_facts_dir_picks_the_compact_n(tmp_path: Path) -> None:
    from tests.topology.test_spares import variant

    facts = tmp_path / "facts"
    blocks = {"h100-0001": "nb2", "h100-0002": "nb1", "h100-0003": "nb1", "h100-0004": "nb1"}
    for i, (name, nb) in enumerate(blocks.items()):
        (facts / name).mkdir(parents=True)
        (facts / name / "imds-host.txt").write_text(variant(i, lb=f"lb-{nb}", nb=nb))
    result = _from_stack(tmp_path, "--facts-dir", str(facts))
    assert result.exit_code == 0, result.output
    assert "pool h100: 3 active, 1 spares ready: h100-0001" in result.stderr
    assert "1 nodes without topology facts, ranked last" in result.stderr  # infer-0001
    assert _hostfile(tmp_path) == ["10.0.1.2", "10.0.1.3", "10.0.1.4", "10.0.2.5"]
