"""Turn `pulumi stack output --json` into an inventory document.

The stack exports (the contract with `infra/`):

    {"bastion_public_ip": "203.0.113.10", "ssh_user": "opc",
     "pools": {"train": {"shape": "BM.GPU.H100.8", "nodes_requested": 64, "spares": 2,
                         "gpu_power_cap_w": 500,
                         "nodes": [{"name": "train-0001", "private_ip": "10.0.1.17"}]}}}

and this returns the inventory JSON shape of `bootstrap.inventory.load` (nodes sorted by pool
then name, so the same stack always gives the same file). `nodes_requested`/`spares` (optional:
older stacks lack them) are carried into the inventory's `pools`, so exports can keep the N best
of the N + k launched; so is `gpu_power_cap_w` when the pool sets one (null or absent: no cap),
so `gpufleet health` can check every GPU enforces it. Problems are reported all at once as an
`InventoryError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bootstrap.inventory.load import InventoryError
from infra.input_file import InputFileError, load_json


def from_stack_output(
    path: Path, *, identity_file: str | None = None, known_hosts: str | None = None
) -> dict[str, Any]:
    label = path.name
    try:
        doc = load_json(path, "stack output")
    except InputFileError as exc:
        raise InventoryError(label, [f"{exc.problem}; {exc.fix}"]) from None
    return stack_output_to_inventory(
        doc, label, identity_file=identity_file, known_hosts=known_hosts
    )


def stack_output_to_inventory(
    doc: Any, label: str, *, identity_file: str | None = None, known_hosts: str | None = None
) -> dict[str, Any]:
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise InventoryError(label, ["top level: must be the JSON object of stack outputs"])

    def text(where: str, obj: dict[str, Any], key: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            problems.append(
                f"{where}: output '{key}': must be a non-empty string, got {json.dumps(value)}"
            )
            return ""
        return value

    bastion_ip = text("top level", doc, "bastion_public_ip")
    user = text("top level", doc, "ssh_user")
    pools = doc.get("pools")
    nodes: list[dict[str, Any]] = []
    pool_entries: dict[str, dict[str, int]] = {}
    if not isinstance(pools, dict) or not pools:
        problems.append("top level: output 'pools': must be an object of pools with nodes")
        pools = {}
    for pool_name in sorted(pools):
        pool = pools[pool_name]
        where = f"pools.{pool_name}"
        if not isinstance(pool, dict) or not isinstance(pool.get("nodes"), list):
            problems.append(f"{where}: must be an object with 'shape' and a 'nodes' list")
            continue
        shape = text(where, pool, "shape")
        entry = (_pool_size(where, pool, problems) or {}) | _power_cap(where, pool, problems)
        if entry:
            pool_entries[pool_name] = entry
        for i, raw in enumerate(pool["nodes"]):
            node_where = f"{where}.nodes[{i}]"
            if not isinstance(raw, dict):
                problems.append(f"{node_where}: must be an object with 'name' and 'private_ip'")
                continue
            name, ip = text(node_where, raw, "name"), text(node_where, raw, "private_ip")
            node = {"name": name, "host": ip, "port": 22, "pool": pool_name, "shape": shape}
            if isinstance(raw.get("id"), str) and raw["id"]:
                node["instance_id"] = raw["id"]  # the program exports each node's OCID as "id"
            nodes.append(node)
    if problems:
        raise InventoryError(label, problems)
    ssh: dict[str, Any] = {"user": user, "bastion": {"host": bastion_ip, "port": 22, "user": user}}
    if identity_file:
        ssh["identity_file"] = identity_file
    if known_hosts:
        ssh["known_hosts"] = known_hosts
    nodes.sort(key=lambda n: (n["pool"], n["name"]))
    out: dict[str, Any] = {"ssh": ssh, "nodes": nodes}
    if pool_entries:
        out["pools"] = pool_entries
    return out


def _pool_size(where: str, pool: dict[str, Any], problems: list[str]) -> dict[str, int] | None:
    """`{"nodes_requested": N, "spares": k}` when the stack exported N, else None."""
    if pool.get("nodes_requested") is None:
        return None
    size: dict[str, int] = {}
    for key in ("nodes_requested", "spares"):
        value = pool.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                f"{where}: output '{key}': must be an integer >= 0, got {json.dumps(value)}"
            )
            return None
        size[key] = value
    return size


def _power_cap(where: str, pool: dict[str, Any], problems: list[str]) -> dict[str, int]:
    """`{"gpu_power_cap_w": W}` when the pool sets a cap, else empty."""
    value = pool.get("gpu_power_cap_w")
    if value is None:
        return {}
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(
            f"{where}: output 'gpu_power_cap_w': must be watts per GPU (an integer >= 1) or "
            f"null, got {json.dumps(value)}"
        )
        return {}
    return {"gpu_power_cap_w": value}
