from __future__ import annotations

from pathlib import Path

import yaml

from bootstrap.inventory import Bastion, Inventory, Node, SshSettings
from bootstrap.inventory.export import to_ansible_ini, to_ansible_yaml, to_hostfile

INV = Inventory(
    None,
    SshSettings("opc", Path("/keys/id"), Path("/kh"), Bastion("203.0.113.10", 22, "opc")),
    (
        Node("train-0001", "10.0.1.17", 22, "opc", "train", "BM.GPU.H100.8"),
        Node("train-0002", "10.0.1.18", 22, "opc", "train", "BM.GPU.H100.8"),
        Node("infer-0001", "10.0.2.5", 2222, "ubuntu", "infer", ""),
    ),
)


def test_hostfile_is_one_address_per_line() -> None:
    assert to_hostfile(INV) == "10.0.1.17\n10.0.1.18\n10.0.2.5\n"
    assert to_hostfile(INV, slots=8).splitlines()[0] == "10.0.1.17 slots=8"


def test_ansible_yaml_groups_by_pool_and_jumps_through_the_bastion() -> None:
    doc = yaml.safe_load(to_ansible_yaml(INV))
    assert doc["all"]["children"]["train"]["hosts"]["train-0002"] == {
        "ansible_host": "10.0.1.18",
        "ansible_port": 22,
        "ansible_user": "opc",
        "gpufleet_shape": "BM.GPU.H100.8",
    }
    common = doc["all"]["vars"]["ansible_ssh_common_args"]
    assert "-o ProxyJump=opc@203.0.113.10:22" in common
    assert "StrictHostKeyChecking=yes" in common
    assert doc["all"]["vars"]["ansible_ssh_private_key_file"] == "/keys/id"


def test_ansible_ini() -> None:
    text = to_ansible_ini(INV)
    assert text.startswith(
        "[infer]\ninfer-0001 ansible_host=10.0.2.5 ansible_port=2222 "
        "ansible_user=ubuntu\n\n[train]\n"
    )
    assert "ansible_ssh_common_args='-o ProxyJump=opc@203.0.113.10:22 " in text
