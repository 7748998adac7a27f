"""Write an inventory as an Ansible inventory (INI or YAML) or a plain MPI hostfile.

Hostfile (one address per line, `slots=N` appended when given):

    10.0.1.17
    10.0.1.18

Ansible INI (one group per pool; nodes reached through the bastion):

    [train]
    train-0001 ansible_host=10.0.1.17 ansible_port=22 ansible_user=opc gpufleet_shape=BM.GPU.H100.8

Both hops are strict, as gpufleet's own runner is: the node hop through ansible's ssh options,
the bastion hop through a `ProxyCommand` that runs `ssh -W` with the same key, the recorded
known_hosts and `StrictHostKeyChecking=yes` (OpenSSH's `ProxyJump` would check the bastion
against the operator's default known_hosts and offer whatever keys ssh-agent holds: "Host key
verification failed" on a fresh machine). ssh runs a ProxyCommand through the shell, so its
words are shell-quoted once for that shell and once more for ansible's own split of
`ansible_ssh_common_args`.

Pool names become Ansible groups; `all` and `ungrouped` are Ansible's implicit groups, so a
pool with either name is refused (`ReservedGroupError`) instead of silently merging.
"""

from __future__ import annotations

import shlex
from typing import Any

from bootstrap.inventory.model import Inventory, Node

# Ansible's implicit groups (docs.ansible.com, "Default groups": every host is in `all`, and
# in `ungrouped` when in no other group).
RESERVED_GROUPS = frozenset({"all", "ungrouped"})


class ReservedGroupError(ValueError):
    """A pool named like one of Ansible's implicit groups."""


def _strict(inv: Inventory) -> list[str]:
    opts = [
        "-o",
        f"UserKnownHostsFile={inv.ssh.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    if inv.ssh.identity_file is not None:
        opts += ["-o", "IdentitiesOnly=yes", "-i", str(inv.ssh.identity_file)]
    return opts


def _proxy_args(inv: Inventory) -> list[str]:
    b = inv.ssh.bastion
    if b is None:
        return []
    hop = ["ssh", "-W", "%h:%p", "-p", str(b.port), *_strict(inv), "-o", "BatchMode=yes"]
    hop += ["-l", b.user, b.host]
    # %h/%p are ssh's tokens and survive shlex.quote unquoted-safe ('%' needs no quoting)
    return ["-o", f"ProxyCommand={shlex.join(hop)}"]


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
    common = [*_proxy_args(inv), *_strict(inv)]
    gv["ansible_ssh_common_args"] = shlex.join(common)
    return gv


def check_ansible_groups(inv: Inventory) -> None:
    """Raise ReservedGroupError when a pool cannot be an Ansible group."""
    reserved = sorted(set(inv.pools) & RESERVED_GROUPS)
    if reserved:
        raise ReservedGroupError(
            f"pool name {reserved[0]!r} is one of Ansible's implicit groups (all, ungrouped): "
            "an Ansible inventory cannot hold it as a pool; rename the pool"
        )


def to_ansible_yaml(inv: Inventory) -> str:
    check_ansible_groups(inv)
    children: dict[str, Any] = {}
    for node in inv.nodes:
        hosts = children.setdefault(node.pool, {"hosts": {}})["hosts"]
        hosts[node.name] = _host_vars(inv, node)
    doc = {"all": {"vars": _group_vars(inv), "children": children}}
    import yaml  # here, not at the top: every fleet command imports this package, few need YAML

    return yaml.safe_dump(doc, sort_keys=False)


def to_ansible_ini(inv: Inventory) -> str:
    check_ansible_groups(inv)
    lines: list[str] = []
    for pool in inv.pools:
        lines.append(f"[{pool}]")
        for node in (n for n in inv.nodes if n.pool == pool):
            hv = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in _host_vars(inv, node).items())
            lines.append(f"{node.name} {hv}")
        lines.append("")
    lines.append("[all:vars]")
    for key, value in _group_vars(inv).items():
        # Ansible reads a [group:vars] value as a Python literal when it is one (else as the
        # raw text): a repr() comes back exactly, spaces and quotes included.
        lines.append(f"{key}={str(value)!r}")
    return "\n".join(lines) + "\n"


def to_hostfile(inv: Inventory, *, slots: int | None = None) -> str:
    """An MPI hostfile: one address per line (`slots=N` appended when given)."""
    suffix = f" slots={slots}" if slots else ""
    return "".join(f"{n.host}{suffix}\n" for n in inv.nodes)
