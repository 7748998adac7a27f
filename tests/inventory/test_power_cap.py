"""The pool's GPU power cap travels stack outputs -> inventory `pools` -> `gpufleet health`
expectations; inventories and stack outputs without it stay valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap.commands.health import expectations
from bootstrap.health.checks import NodeExpectations
from bootstrap.inventory import InventoryError, from_stack_output, load_inventory
from bootstrap.inventory.model import PoolSize

POOL: dict[str, Any] = {
    "shape": "BM.GPU.H100.8",
    "nodes_requested": 2,
    "spares": 0,
    "nodes": [{"name": "h100-0001", "private_ip": "10.0.1.1"}],
}


def outputs(tmp_path: Path, **pools: dict[str, Any]) -> Path:
    doc = {"bastion_public_ip": "203.0.113.10", "ssh_user": "opc", "pools": pools}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(doc))
    return path


def load(tmp_path: Path, doc: dict[str, Any]) -> Any:
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(doc))
    return load_inventory(path)


def test_cap_is_carried_from_the_stack_to_health_expectations(tmp_path: Path) -> None:
    capped = POOL | {"gpu_power_cap_w": 500}
    uncapped = POOL | {
        "gpu_power_cap_w": None,
        "nodes": [{"name": "b-1", "private_ip": "10.0.2.1"}],
    }
    doc = from_stack_output(outputs(tmp_path, h100=capped, other=uncapped))
    assert doc["pools"] == {
        "h100": {"nodes_requested": 2, "spares": 0, "gpu_power_cap_w": 500},
        "other": {"nodes_requested": 2, "spares": 0},
    }
    inv = load(tmp_path, doc)
    assert inv.pool_power_caps == {"h100": 500}
    assert inv.pool_sizes["h100"] == PoolSize(2, 0)
    assert inv.select(pool="h100").pool_power_caps == {"h100": 500}
    assert expectations(inv) == {"h100": NodeExpectations(gpu_power_cap_w=500)}


def test_a_cap_alone_needs_no_size(tmp_path: Path) -> None:
    old_stack = {k: v for k, v in POOL.items() if k not in ("nodes_requested", "spares")}
    doc = from_stack_output(outputs(tmp_path, h100=old_stack | {"gpu_power_cap_w": 450}))
    assert doc["pools"] == {"h100": {"gpu_power_cap_w": 450}}
    inv = load(tmp_path, doc)
    assert (inv.pool_sizes, inv.pool_power_caps) == ({}, {"h100": 450})


def test_inventories_without_a_cap_stay_valid(tmp_path: Path) -> None:
    base = {"ssh": {"user": "opc"}, "nodes": [{"name": "a", "host": "h", "pool": "p"}]}
    assert load(tmp_path, base).pool_power_caps == {}
    sized = base | {"pools": {"p": {"nodes_requested": 1}}}
    assert load(tmp_path, sized).pool_power_caps == {}
    assert expectations(load(tmp_path, sized)) == {}


@pytest.mark.parametrize("bad", [0, -1, 500.5, "500", True])
def test_bad_caps_are_named(tmp_path: Path, bad: object) -> None:
    with pytest.raises(InventoryError) as err:
        from_stack_output(outputs(tmp_path, h100=POOL | {"gpu_power_cap_w": bad}))
    assert err.value.problems == [
        "pools.h100: output 'gpu_power_cap_w': must be watts per GPU (an integer >= 1) or null, "
        f"got {json.dumps(bad)}"
    ]
    base = {"ssh": {"user": "opc"}, "nodes": [{"name": "a", "host": "h", "pool": "p"}]}
    with pytest.raises(InventoryError) as err:
        load(tmp_path, base | {"pools": {"p": {"gpu_power_cap_w": bad}}})
    [problem] = err.value.problems
    assert problem.startswith("pools.p: field 'gpu_power_cap_w': must be")
