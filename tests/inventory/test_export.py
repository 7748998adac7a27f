from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.inventory import Bastion, Inventory, Node, SshSettings
from bootstrap.inventory.export import (
    ReservedGroupError,
    to_ansible_ini,
    to_ansible_yaml,
    to_hostfile,
)

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
    common = shlex.split(doc["all"]["vars"]["ansible_ssh_common_args"])
    # the bastion hop is as strict as the node hop: recorded known_hosts, the key, no agent
    proxy = shlex.split(common[common.index("-o") + 1].removeprefix("ProxyCommand="))
    assert proxy[:3] == ["ssh", "-W", "%h:%p"] and proxy[-3:] == ["-l", "opc", "203.0.113.10"]
    for args in (proxy, common):
        assert "UserKnownHostsFile=/kh" in args and "StrictHostKeyChecking=yes" in args
        assert args[args.index("-i") + 1] == "/keys/id" and "IdentitiesOnly=yes" in args
    assert doc["all"]["vars"]["ansible_ssh_private_key_file"] == "/keys/id"


def test_ansible_ini() -> None:
    text = to_ansible_ini(INV)
    assert text.startswith(
        "[infer]\ninfer-0001 ansible_host=10.0.2.5 ansible_port=2222 "
        "ansible_user=ubuntu\n\n[train]\n"
    )
    assert "ansible_ssh_common_args=\"-o 'ProxyCommand=ssh -W %h:%p -p 22 " in text


@pytest.mark.parametrize("pool", ["all", "ungrouped"])
def test_a_pool_named_like_an_implicit_group_is_refused(tmp_path: Path, pool: str) -> None:
    node = Node("x-0001", "10.0.1.17", 22, "opc", pool, "")
    inv = Inventory(None, INV.ssh, (node,))
    for export in (to_ansible_ini, to_ansible_yaml):
        with pytest.raises(ReservedGroupError, match="implicit groups"):
            export(inv)
    doc = {"ssh": {"user": "opc", "known_hosts": str(tmp_path / "kh")},
           "nodes": [{"name": "x-0001", "host": "10.0.1.17", "pool": pool}]}  # fmt: skip
    source = tmp_path / "inventory.json"
    source.write_text(json.dumps(doc))
    hosts = tmp_path / "hosts.ini"
    result = CliRunner().invoke(cli, ["inventory", "--inventory", str(source),
                                      "--ansible", str(hosts)])  # fmt: skip
    assert result.exit_code == 2 and "rename the pool" in result.stderr
    assert "Traceback" not in result.output and not hosts.exists()
