from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap.inventory import InventoryError, load_inventory


def _doc(**ssh: Any) -> dict[str, Any]:
    return {
        "ssh": {
            "user": "opc",
            "identity_file": "keys/id_ed25519",
            "known_hosts": "known_hosts",
            "bastion": {"host": "203.0.113.10"},
            **ssh,
        },
        "nodes": [
            {"name": "train-0001", "host": "10.0.1.17", "pool": "train", "shape": "BM.GPU.H100.8"},
            {
                "name": "infer-0001",
                "host": "10.0.2.5",
                "port": 2222,
                "user": "ubuntu",
                "pool": "infer",
            },
        ],
    }


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_valid_inventory_with_defaults_and_overrides(tmp_path: Path) -> None:
    inv = load_inventory(_write(tmp_path, _doc()))
    assert inv.ssh.identity_file == tmp_path / "keys/id_ed25519"  # relative to the file
    assert inv.ssh.known_hosts == tmp_path / "known_hosts"
    assert inv.ssh.bastion is not None
    assert (inv.ssh.bastion.port, inv.ssh.bastion.user) == (22, "opc")
    train, infer = inv.nodes
    assert (train.port, train.user, train.shape) == (22, "opc", "BM.GPU.H100.8")
    assert (infer.port, infer.user, infer.shape) == (2222, "ubuntu", "")
    assert inv.pools == ["infer", "train"]


def test_absolute_and_home_paths_are_kept(tmp_path: Path) -> None:
    inv = load_inventory(_write(tmp_path, _doc(identity_file="/keys/id", known_hosts="~/kh")))
    assert str(inv.ssh.identity_file) == "/keys/id"
    assert inv.ssh.known_hosts == Path("~/kh").expanduser()


def test_no_identity_file_means_ssh_agent(tmp_path: Path) -> None:
    doc = _doc()
    del doc["ssh"]["identity_file"]
    assert load_inventory(_write(tmp_path, doc)).ssh.identity_file is None


def test_a_malformed_node_is_named_with_its_field(tmp_path: Path) -> None:
    doc = _doc()
    doc["nodes"][1]["port"] = "22x"
    with pytest.raises(InventoryError) as err:
        load_inventory(_write(tmp_path, doc))
    assert str(err.value) == (
        "inventory.json: nodes[1] (infer-0001): field 'port': must be an integer 1-65535, got '22x'"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    doc = _doc()
    doc["ssh"]["bastion"] = {"host": "", "prot": 22}
    doc["nodes"].append({"name": "train-0001", "host": "10.0.1.18", "pool": "train"})
    doc["nodes"].append({"name": "bad name", "pool": "train", "port": True})
    doc["nodes"].append("train-0009")
    doc["extra"] = 1
    with pytest.raises(InventoryError) as err:
        load_inventory(_write(tmp_path, doc))
    assert err.value.problems == [
        "top level: field 'extra': unknown field (allowed: 'nodes', 'pools', 'ssh')",
        "ssh.bastion: field 'prot': unknown field (allowed: 'host', 'port', 'user')",
        "ssh.bastion: field 'host': must be a non-empty string, got ''",
        "nodes[2] (train-0001): field 'name': duplicate of nodes[0]; names must be unique",
        "nodes[3]: field 'name': must be 1-63 letters, digits, '.', '_' or '-' "
        "(it names log files), got 'bad name'",
        "nodes[3]: field 'host': is required",
        "nodes[3]: field 'port': must be an integer 1-65535, got true",
        "nodes[4]: must be an object, got 'train-0009'",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{",
            "inventory.json: the inventory is not valid JSON: Expecting property name enclosed "
            "in double quotes at line 1 column 2; fix the JSON there",
        ),
        ("[]", "inventory.json: top level: must be a JSON object with 'ssh' and 'nodes'"),
        (
            '{"ssh": {"user": "opc"}, "nodes": []}',
            "inventory.json: top level: field 'nodes': must be a non-empty list of nodes, got []",
        ),
        (
            '{"nodes": [{"name": "a", "host": "h", "pool": "p"}]}',
            "inventory.json: top level: field 'ssh': must be an object with at least 'user', "
            "got null",
        ),
    ],
)
def test_shapes_that_are_not_an_inventory(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(text)
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    assert str(err.value) == message


def test_select_by_pool_and_limit(tmp_path: Path) -> None:
    inv = load_inventory(_write(tmp_path, _doc()))
    assert [n.name for n in inv.select(pool="train").nodes] == ["train-0001"]
    assert [n.name for n in inv.select(limit=["infer-0001"]).nodes] == ["infer-0001"]
    with pytest.raises(ValueError, match="unknown pool 'gpu'"):
        inv.select(pool="gpu")
    with pytest.raises(ValueError, match="not in the selection: infer-0001"):
        inv.select(pool="train", limit=["infer-0001"])
