"""Stack configs for render tests: the example stack with its pools swapped out."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from infra.config import StackConfig, from_mapping
from infra.offline.plan import EXAMPLE_STACK

FABRIC = "ocid1.computegpumemoryfabric.oc1.iad.aaaaaaaaexamplefabric000000000000000000000000000"


def example_raw() -> dict[str, Any]:
    """The example stack's gpufleet: keys, namespace stripped."""
    doc = yaml.safe_load(EXAMPLE_STACK.read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in doc.items() if k.startswith("gpufleet:")}


def pool(shape: str, os: str, mode: str = "cluster_network", name: str = "gpus") -> dict[str, Any]:
    raw = {
        "name": name,
        "shape": shape,
        "nodes": 2,
        "image_id": "ocid1.image.oc1.iad.aaaaaaaaexamplegpuimage0000000000000000000000000000000",
        "os": os,
        "mode": mode,
    }
    if mode == "compute_cluster" and "GB200" in shape:
        raw["gpu_memory_fabric_ids"] = [FABRIC]
    return raw


def config_with(*pools: dict[str, Any], **overrides: Any) -> StackConfig:
    raw = example_raw()
    raw["pools"] = list(pools)
    for key, value in overrides.items():
        raw[key] = copy.deepcopy(value)
    return from_mapping(raw)


def container_software(image: str = "nvcr.io/nvidia/pytorch:24.12-py3") -> dict[str, Any]:
    sw = example_raw()["software"]
    sw["training"] = {"kind": "container", "image": image}
    return sw
