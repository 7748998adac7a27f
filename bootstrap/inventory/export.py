"""Write an inventory as an Ansible inventory (INI or YAML) or a plain MPI hostfile.

Hostfile (one address per line, `slots=N` appended when given):

    10.0.1.17
    10.0.1.18

Ansible INI (one group per pool; nodes reached through the bastion with OpenSSH ProxyJump and
strict host-key checking against the inventory's known_hosts):

    [train]
    train-0001 ansible_host=10.0.1.17 ansible_port=22 ansible_user=opc gpufleet_shape=BM.GPU.H100.8
"""

from __future__ import annotations

import shlex
from typing import Any

import yaml

from bootstrap.inventory.model import Inventory, Node


def _proxy_args(inv: Inventory) -> str | None:
    b = inv.ssh.bastion
    if b is None:
        return None
    # OpenSSH's ProxyJump, so ansible reaches nodes the same way gpufleet does.
    return f"-o ProxyJump={b.user}@{b.host}:{b.port}"


def _host_vars(inv: Inventory, node: Node) -> dict[str, Any]:
    hv: dict[str, Any] = {
        "ansible_host": node.host,
        "ansible_port": node.port,
        "ansible_user": node.user,
    }
    if node.shape:
        hv["gpufleet_shape"] = node.shape
    return hv


def _group_vars(inv: Inventory) -> dict[str, Any]:
    gv: dict[str, Any] = {}
    if inv.ssh.identity_file is not None:
        gv["ansible_ssh_private_key_file"] = str(inv.ssh.identity_file)
    common = [f"-o UserKnownHostsFile={inv.ssh.known_hosts}", "-o StrictHostKeyChecking=yes"]
    proxy = _proxy_args(inv)
    if proxy:
        common.insert(0, proxy)
    gv["ansible_ssh_common_args"] = " ".join(common)
    return gv


def to_ansible_yaml(inv: Inventory) -> str:
    children: dict[str, Any] = {}
    for node in inv.nodes:
        hosts = children.setdefault(node.pool, {"hosts": {}})["hosts"]
        hosts[node.name] = _host_vars(inv, node)
    doc = {"all": {"vars": _group_vars(inv), "children": children}}
    return yaml.safe_dump(doc, sort_keys=False)


def to_ansible_ini(inv: Inventory) -> str:
    lines: list[str] = []
    for pool in inv.pools:
        lines.append(f"[{pool}]")
        for node in (n for n in inv.nodes if n.pool == pool):
            hv = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in _host_vars(inv, node).items())
            lines.append(f"{node.name} {hv}")
        lines.append("")
    lines.append("[all:vars]")
    for key, value in _group_vars(inv).items():
        # INI values are split on spaces unless quoted.
        lines.append(f"{key}={shlex.quote(str(value))}")
    return "\n".join(lines) + "\n"


def to_hostfile(inv: Inventory, *, slots: int | None = None) -> str:
    """An MPI hostfile: one address per line (`slots=N` appended when given)."""
    suffix = f" slots={slots}" if slots else ""
    return "".join(f"{n.host}{suffix}\n" for n in inv.nodes)
