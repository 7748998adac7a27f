"""Routine day-2 changes, each an edit of a stack file's `config:` mapping (in place)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Config = dict[str, Any]
NEW_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFJpeZlDTZYGW/dEukR3kA1quuNFL2jh93Z5ytA138sF rotated"
BAD_NODE_OCID = "ocid1.instance.oc1.iad.aaaaaaaabadnode000000000007"


def _first_pool(config: Config) -> dict[str, Any]:
    return config["gpufleet:pools"][0]


def _cc_pool(config: Config) -> dict[str, Any]:
    """The compute-cluster pool when there is one (its nodes are Instances), else the first."""
    pools = config["gpufleet:pools"]
    return next((p for p in pools if p.get("mode") == "compute_cluster"), pools[0])


def software_bump(config: Config) -> None:
    # a CUDA 12.9 driver (policy/compat.py: 12.9 needs >= 575.51.03); NCCL built for 12.8 runs
    config["gpufleet:software"] = {
        **config.get("gpufleet:software", {}),
        "driver": "575.51.03",
        "cuda": "12.9",
        "nccl": "2.26.2-1",
    }


def new_image(config: Config) -> None:
    pool = _first_pool(config)
    pool["image_id"] = pool["image_id"][:-8] + "newimage"


def ssh_key_rotation(config: Config) -> None:
    config["gpufleet:ssh_public_key"] = NEW_KEY


def nodes_plus_one(config: Config) -> None:
    _cc_pool(config)["nodes"] += 1


def nodes_minus_one(config: Config) -> None:
    _cc_pool(config)["nodes"] -= 1


def pool_added(config: Config) -> None:
    base = _first_pool(config)
    config["gpufleet:pools"].append(
        {
            "name": "extra",
            "shape": "BM.GPU.H100.8",
            "nodes": 2,
            "image_id": base["image_id"],
            "os": base["os"],
        }
    )


def spares_changed(config: Config) -> None:
    pool = _cc_pool(config)
    pool["spares"] = pool.get("spares", 0) + 1


def one_node_replaced(config: Config) -> None:
    pool = _cc_pool(config)
    key = f"{pool['name']}-0007" if pool.get("mode") == "compute_cluster" else BAD_NODE_OCID
    pool["replace_nodes"] = {key: 1}


def tag_changed(config: Config) -> None:
    config["gpufleet:tags"] = {**config.get("gpufleet:tags", {}), "team": "renamed"}


CHANGES: dict[str, Callable[[Config], None]] = {
    f.__name__: f
    for f in (
        software_bump,
        new_image,
        ssh_key_rotation,
        nodes_plus_one,
        nodes_minus_one,
        pool_added,
        spares_changed,
        one_node_replaced,
        tag_changed,
    )
}
