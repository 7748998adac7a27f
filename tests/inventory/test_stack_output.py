from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.inventory import InventoryError, from_stack_output, load_inventory

OUTPUTS = {
    "bastion_public_ip": "203.0.113.10",
    "ssh_user": "opc",
    "pools": {
        "train": {
            "shape": "BM.GPU.H100.8",
            "nodes": [
                {"name": "train-0002", "private_ip": "10.0.1.18"},
                {"name": "train-0001", "private_ip": "10.0.1.17"},
            ],
        },
        "infer": {
            "shape": "BM.GPU.L40S.4",
            "nodes": [{"name": "infer-0001", "private_ip": "10.0.2.5"}],
        },
    },
}


def _outputs(tmp_path: Path, doc: object = OUTPUTS) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(doc))
    return path


def test_stack_outputs_become_an_inventory(tmp_path: Path) -> None:
    doc = from_stack_output(_outputs(tmp_path), known_hosts="known_hosts")
    assert doc["ssh"] == {
        "user": "opc",
        "known_hosts": "known_hosts",
        "bastion": {"host": "203.0.113.10", "port": 22, "user": "opc"},
    }
    assert [(n["name"], n["host"], n["pool"], n["shape"]) for n in doc["nodes"]] == [
        ("infer-0001", "10.0.2.5", "infer", "BM.GPU.L40S.4"),
        ("train-0001", "10.0.1.17", "train", "BM.GPU.H100.8"),
        ("train-0002", "10.0.1.18", "train", "BM.GPU.H100.8"),
    ]


def test_bad_stack_outputs_name_every_problem(tmp_path: Path) -> None:
    bad = {
        "ssh_user": "opc",
        "pools": {"train": {"shape": "BM.GPU.H100.8", "nodes": [{"name": "train-0001"}]}},
    }
    with pytest.raises(InventoryError) as err:
        from_stack_output(_outputs(tmp_path, bad))
    assert err.value.problems == [
        "top level: output 'bastion_public_ip': must be a non-empty string, got null",
        "pools.train.nodes[0]: output 'private_ip': must be a non-empty string, got null",
    ]


def test_cli_writes_inventory_ansible_and_hostfile(tmp_path: Path) -> None:
    out, hosts, hostfile = tmp_path / "inv.json", tmp_path / "hosts.yaml", tmp_path / "hostfile"
    result = CliRunner().invoke(
        cli,
        [
            "inventory",
            "--from-stack-output",
            str(_outputs(tmp_path)),
            "--out",
            str(out),
            "--ansible",
            str(hosts),
            "--hostfile",
            str(hostfile),
            "--allow-unchecked",
            "--known-hosts",
            "known_hosts",
        ],
    )
    assert result.exit_code == 0, result.output
    inv = load_inventory(out)
    assert len(inv.nodes) == 3 and inv.ssh.known_hosts == tmp_path / "known_hosts"
    assert hostfile.read_text() == "10.0.2.5\n10.0.1.17\n10.0.1.18\n"
    assert "train-0002" in hosts.read_text()


def test_cli_bad_stack_output_is_exit_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text("{not json")
    result = CliRunner().invoke(
        cli, ["inventory", "--from-stack-output", str(path), "--out", str(tmp_path / "inv.json")]
    )
    assert result.exit_code == 2
    assert result.output == (
        "gpufleet: error: outputs.json: the stack output is not valid JSON: Expecting property "
        "name enclosed in double quotes at line 1 column 2; fix the JSON there\n"
    )
    assert not (tmp_path / "inv.json").exists()
