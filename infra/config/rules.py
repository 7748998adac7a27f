"""Cross-field rules, run on the raw config mapping so they report even when other fields are
broken. One function per rule; each yields Problems and skips what field checks already flag."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from ipaddress import IPv4Network
from typing import Any

from infra.config import slurm_rules, subnets
from infra.config.problems import Problem, key_path, show
from infra.shapes import CATALOG

# One NVL72 rack = one GPU memory fabric = 18 GB200 nodes (docs.oracle.com/iaas/Content/
# Compute/Concepts/gpu-memory-fabric.htm: "NVIDIA NVLink 72 supports up to 18 Compute hosts").
NODES_PER_GPU_MEMORY_FABRIC = 18

Rule = Callable[[Mapping[str, Any]], Iterator[Problem]]


def _pools(raw: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    pools = raw.get("pools")
    if not isinstance(pools, list):
        return []
    return [(i, p) for i, p in enumerate(pools) if isinstance(p, Mapping)]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def at_least_one_pool(raw: Mapping[str, Any]) -> Iterator[Problem]:
    if "pools" in raw and raw["pools"] == []:
        yield Problem(
            key_path(("pools",)),
            "[]",
            "no GPU pools declared",
            "add a pool: {name, shape, nodes, image_id, os}",
        )


def duplicate_pool_names(raw: Mapping[str, Any]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, pool in _pools(raw):
        name = pool.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Problem(
                key_path(("pools", i, "name")),
                show(name),
                f"duplicate pool name; pools[{seen[name]}] already uses it",
                "give every pool a unique name (names become hostnames and resource names)",
            )
        else:
            seen[name] = i


# Ansible's implicit groups: the Ansible export makes one group per pool (docs.ansible.com,
# "Default groups").
ANSIBLE_RESERVED_GROUPS = ("all", "ungrouped")


def pool_name_not_ansible_group(raw: Mapping[str, Any]) -> Iterator[Problem]:
    for i, pool in _pools(raw):
        name = pool.get("name")
        if name in ANSIBLE_RESERVED_GROUPS:
            yield Problem(
                key_path(("pools", i, "name")),
                show(name),
                "reserved: Ansible's implicit groups are 'all' and 'ungrouped', and each pool "
                "becomes an Ansible group in `gpufleet inventory --ansible`",
                "rename the pool (e.g. 'train', 'h100')",
            )


def some_admin_cidr(raw: Mapping[str, Any]) -> Iterator[Problem]:
    if raw.get("admin_cidrs") == []:
        yield Problem(
            key_path(("admin_cidrs",)),
            "[]",
            "no admin CIDRs: nobody could reach the bastion",
            "list the ranges you SSH from, e.g. [203.0.113.0/24]",
        )


def world_open_ssh(raw: Mapping[str, Any]) -> Iterator[Problem]:
    if raw.get("allow_ssh_from_anywhere") is True:
        return
    cidrs = raw.get("admin_cidrs")
    for i, text in enumerate(cidrs if isinstance(cidrs, list) else []):
        net = subnets.parse_cidr(text)
        if net is not None and net.prefixlen == 0:
            yield Problem(
                key_path(("admin_cidrs", i)),
                show(text),
                "opens the bastion's SSH port to the whole internet",
                "list your office/VPN ranges instead, or set gpufleet:allow_ssh_from_anywhere: "
                "true to accept the risk explicitly",
            )


def subnet_layout(raw: Mapping[str, Any]) -> Iterator[Problem]:
    vcn = subnets.parse_cidr(raw.get("vcn_cidr", "10.0.0.0/16"))  # None: the field check reports
    given_raw = raw.get("subnets") if isinstance(raw.get("subnets"), Mapping) else {}
    assert isinstance(given_raw, Mapping)
    plan: dict[str, IPv4Network] = {}
    for role in subnets.ROLES:
        net = subnets.parse_cidr(given_raw.get(role))
        if net is not None:
            if vcn is not None and not net.subnet_of(vcn):
                yield Problem(
                    key_path(("subnets", role)),
                    show(str(net)),
                    f"lies outside the VCN {vcn}",
                    f"choose a block inside {vcn}, or widen gpufleet:vcn_cidr",
                )
            plan[role] = net
        elif role not in given_raw and vcn is not None:
            if vcn.prefixlen > subnets.MIN_CARVE_PREFIX:
                yield Problem(
                    key_path(("subnets", role)),
                    "(missing)",
                    f"the VCN {vcn} is too small to carve default subnets "
                    f"(needs /{subnets.MIN_CARVE_PREFIX} or larger)",
                    "widen gpufleet:vcn_cidr (e.g. 10.0.0.0/16) or set gpufleet:subnets."
                    f"{role} explicitly",
                )
                continue
            plan[role] = subnets.carve(vcn)[role]
    roles = sorted(plan)
    for a_i, a in enumerate(roles):
        for b in roles[a_i + 1 :]:
            if plan[a].overlaps(plan[b]):
                yield Problem(
                    key_path(("subnets", b)),
                    show(str(plan[b])),
                    f"overlaps the {a} subnet {plan[a]}",
                    "give each subnet its own block inside the VCN",
                )
    total = sum(_int(p.get("nodes")) + _int(p.get("spares")) for _, p in _pools(raw))
    nodes_net = plan.get("nodes")
    if nodes_net is not None and total > subnets.usable_hosts(nodes_net):
        yield Problem(
            key_path(("subnets", "nodes")),
            show(str(nodes_net)),
            f"holds {subnets.usable_hosts(nodes_net)} addresses but the pools ask for "
            f"{total} nodes",
            "use a larger node subnet (a /17 holds 32,765) or a larger gpufleet:vcn_cidr",
        )


def shape_served(raw: Mapping[str, Any]) -> Iterator[Problem]:
    """A pool only on shapes the node bootstrap and the health gate can serve (not MI300X)."""
    for i, pool in _pools(raw):
        shape = CATALOG.get(str(pool.get("shape")))
        if shape is None or shape.pools_refused is None:
            continue
        served = sorted(s.name for s in CATALOG.values() if s.pools_refused is None)
        yield Problem(
            key_path(("pools", i, "shape")),
            show(pool.get("shape")),
            f"{shape.pools_refused}; shapes gpufleet serves: {', '.join(served)}",
            f"use one of those shapes for this pool (e.g. BM.GPU.H200.8), or run {shape.name} "
            "nodes outside gpufleet (Oracle's ROCm images and its oci-hpc stack)",
        )


def os_supported_for_shape(raw: Mapping[str, Any]) -> Iterator[Problem]:
    for i, pool in _pools(raw):
        shape = CATALOG.get(str(pool.get("shape")))
        os_name = pool.get("os")
        if shape is None or not isinstance(os_name, str):
            continue
        if os_name in {"oracle-linux-8", "oracle-linux-9", "ubuntu-22.04", "ubuntu-24.04"} and (
            os_name not in shape.supported_os
        ):
            yield Problem(
                key_path(("pools", i, "os")),
                show(os_name),
                f"Oracle publishes no {os_name} image for {shape.name}; supported: "
                + ", ".join(shape.supported_os),
                "pick a supported OS and its image OCID",
            )


def gpu_memory_fabric(raw: Mapping[str, Any]) -> Iterator[Problem]:
    for i, pool in _pools(raw):
        shape = CATALOG.get(str(pool.get("shape")))
        if shape is None or not shape.needs_gpu_memory_cluster:
            continue
        if pool.get("mode", "cluster_network") != "compute_cluster":
            yield Problem(
                key_path(("pools", i, "mode")),
                show(pool.get("mode", "cluster_network")),
                f"{shape.name} (NVL72 rack) launches only in a compute cluster with a GPU "
                "memory cluster, not in a cluster network",
                "set mode: compute_cluster and list gpu_memory_fabric_ids",
            )
        fabrics = pool.get("gpu_memory_fabric_ids") or []
        nodes, spares = pool.get("nodes"), pool.get("spares", 0)
        if isinstance(nodes, int) and isinstance(spares, int) and isinstance(fabrics, list):
            nodes += spares  # spares launch in the racks too
            need = -(-nodes // NODES_PER_GPU_MEMORY_FABRIC)
            if len(fabrics) < need:
                yield Problem(
                    key_path(("pools", i, "gpu_memory_fabric_ids")),
                    show(fabrics),
                    f"{nodes} nodes need {need} GPU memory fabric(s) "
                    f"({NODES_PER_GPU_MEMORY_FABRIC} nodes per NVL72 rack), {len(fabrics)} given",
                    "list one ocid1.computegpumemoryfabric... per rack (OCI console: Compute > "
                    "GPU memory fabrics), or lower nodes/spares",
                )


def container_needs_image(raw: Mapping[str, Any]) -> Iterator[Problem]:
    software = raw.get("software")
    training = software.get("training") if isinstance(software, Mapping) else None
    if (
        isinstance(training, Mapping)
        and training.get("kind") == "container"
        and not training.get("image")
    ):
        yield Problem(
            key_path(("software", "training", "image")),
            "(missing)",
            "training kind 'container' needs a pinned image",
            "set software.training.image, e.g. nvcr.io/nvidia/pytorch:24.12-py3",
        )


def power_cap_within_tdp(raw: Mapping[str, Any]) -> Iterator[Problem]:
    for i, pool in _pools(raw):
        shape = CATALOG.get(str(pool.get("shape")))
        cap = pool.get("gpu_power_cap_w")
        if shape is None or not isinstance(cap, int):
            continue
        if shape.gpu_vendor != "nvidia":
            yield Problem(
                key_path(("pools", i, "gpu_power_cap_w")),
                show(cap),
                f"GPU power caps are applied with nvidia-smi; {shape.name} has "
                f"{shape.gpu_vendor} GPUs",
                "remove gpu_power_cap_w for this pool",
            )
        elif shape.gpu_tdp_w is not None and cap > shape.gpu_tdp_w:
            yield Problem(
                key_path(("pools", i, "gpu_power_cap_w")),
                show(cap),
                f"above the {shape.gpu_model}'s {shape.gpu_tdp_w} W maximum",
                f"use a cap between 100 and {shape.gpu_tdp_w} W",
            )


def power_budget(raw: Mapping[str, Any]) -> Iterator[Problem]:
    from infra.config.model import Pool

    budget = raw.get("power_budget_kw")
    if not isinstance(budget, int | float) or isinstance(budget, bool) or budget <= 0:
        return
    total, unknown = 0.0, []
    for _, pool in _pools(raw):
        try:
            model = Pool.model_validate(dict(pool))
        except ValueError:  # pydantic.ValidationError: the field checks report it
            return
        if model.node_kw is None:
            unknown.append(model.shape)
        else:
            total += model.node_kw * model.launched
    if unknown:
        yield Problem(
            key_path(("power_budget_kw",)),
            show(budget),
            "cannot be checked: no public power figure for " + ", ".join(sorted(set(unknown))),
            "remove the budget or the pools of those shapes",
        )
    elif total > budget:
        yield Problem(
            key_path(("power_budget_kw",)),
            show(budget),
            f"the pools draw up to {total:,.1f} kW (nodes + spares at maximum node "
            "power), over the budget",
            "raise the budget, lower nodes/spares, or set gpu_power_cap_w",
        )


def pool_mode_options(raw: Mapping[str, Any]) -> Iterator[Problem]:
    for i, pool in _pools(raw):
        mode = pool.get("mode", "cluster_network")
        for key in ("max_nodes_per_cluster_network", "hpc_island_id", "network_block_ids"):
            if pool.get(key) and mode != "cluster_network":
                yield Problem(
                    key_path(("pools", i, key)),
                    show(pool[key]),
                    "applies only to mode cluster_network",
                    "remove it, or use mode: cluster_network",
                )
        replace = pool.get("replace_nodes")
        if not isinstance(replace, Mapping):
            continue
        name = pool.get("name")
        for node in replace:
            if mode == "cluster_network" and not str(node).startswith("ocid1.instance."):
                yield Problem(
                    key_path(("pools", i, "replace_nodes", str(node))),
                    show(node),
                    "cluster_network pools replace nodes by instance OCID",
                    "use the node's ocid1.instance... (gpufleet inventory lists them)",
                )
            if mode == "compute_cluster" and not (
                isinstance(name, str)
                and str(node).startswith(f"{name}-")
                and str(node)[len(name) + 1 :].isdigit()
            ):
                yield Problem(
                    key_path(("pools", i, "replace_nodes", str(node))),
                    show(node),
                    f"compute_cluster pools replace nodes by name ('{name}-0007')",
                    "use the node's name as in the inventory",
                )


RULES: tuple[Rule, ...] = (
    at_least_one_pool,
    duplicate_pool_names,
    pool_name_not_ansible_group,
    some_admin_cidr,
    world_open_ssh,
    subnet_layout,
    shape_served,
    os_supported_for_shape,
    gpu_memory_fabric,
    container_needs_image,
    power_cap_within_tdp,
    power_budget,
    pool_mode_options,
    *slurm_rules.RULES,
)


def check(raw: Mapping[str, Any]) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(raw)]
