"""Invariants every example stack must hold, asserted on what the real program registers
under Pulumi's mock runtime (recorded camelCase inputs and resource options)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from bootstrap.inventory.stack_output import stack_output_to_inventory
from tests.infra.conftest import STACKS, stack_id

STACK_IDS = [stack_id(p) for p in STACKS]
GPU_NODE_TYPES = {
    "oci:Core/instanceConfiguration:InstanceConfiguration",
    "oci:Core/clusterNetwork:ClusterNetwork",
    "oci:Core/computeCluster:ComputeCluster",
    "oci:Core/computeGpuMemoryCluster:ComputeGpuMemoryCluster",
}
POOL_GUARDED_TYPES = GPU_NODE_TYPES - {"oci:Core/instanceConfiguration:InstanceConfiguration"}
RDMA_PLUGINS = {
    "Compute HPC RDMA Authentication",
    "Compute HPC RDMA Auto-Configuration",
    "Compute RDMA GPU Monitoring",
}


def of_type(plan: Any, type_: str) -> list[dict[str, Any]]:
    return [r for r in plan.resources if r["type"] == type_]


def by_name(plan: Any) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan.resources}


@pytest.mark.parametrize("stack", STACK_IDS)
def test_gpu_nodes_get_no_public_ip(plans: dict[str, Any], stack: str) -> None:
    plan = plans[stack]
    nodes_subnet = by_name(plan)[f"{plan.config.cluster_name}-nodes-subnet"]["inputs"]
    assert nodes_subnet["prohibitPublicIpOnVnic"] is True
    assert nodes_subnet["prohibitInternetIngress"] is True
    for ic in of_type(plan, "oci:Core/instanceConfiguration:InstanceConfiguration"):
        vnic = ic["inputs"]["instanceDetails"]["launchDetails"]["createVnicDetails"]
        assert vnic["assignPublicIp"] is False
    for inst in of_type(plan, "oci:Core/instance:Instance"):
        public = inst["inputs"]["createVnicDetails"]["assignPublicIp"]
        is_bastion = inst["parent"] == f"{plan.config.cluster_name}-bastion"
        assert public == ("true" if is_bastion else "false"), inst["name"]


@pytest.mark.parametrize("stack", STACK_IDS)
def test_only_bastion_admits_ssh_from_outside_and_only_from_admin_cidrs(
    plans: dict[str, Any], stack: str
) -> None:
    plan = plans[stack]
    name = plan.config.cluster_name
    rules = of_type(
        plan, "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
    )
    external_ingress = [
        r["inputs"]
        for r in rules
        if r["inputs"]["direction"] == "INGRESS" and r["inputs"].get("sourceType") == "CIDR_BLOCK"
    ]
    assert external_ingress, "the bastion must be reachable from the admin CIDRs"
    assert {r["networkSecurityGroupId"] for r in external_ingress} == {f"{name}-bastion-nsg-id"}
    assert sorted(r["source"] for r in external_ingress) == sorted(plan.config.admin_cidrs)
    assert all(
        r["tcpOptions"]["destinationPortRange"] == {"min": 22, "max": 22} for r in external_ingress
    )
    node_ssh = [
        r["inputs"]
        for r in rules
        if r["inputs"]["networkSecurityGroupId"] == f"{name}-nodes-nsg-id"
        and r["inputs"]["direction"] == "INGRESS"
        and r["inputs"].get("tcpOptions", {}).get("destinationPortRange", {}).get("min") == 22
    ]
    assert node_ssh == [] or all(r["source"] == f"{name}-bastion-nsg-id" for r in node_ssh)
    # No security list admits anything but PMTU ICMP: the VCN default list (SSH from
    # 0.0.0.0/0) is replaced on every subnet.
    for sl in of_type(plan, "oci:Core/securityList:SecurityList"):
        assert [r["protocol"] for r in sl["inputs"]["ingressSecurityRules"]] == ["1"]
    base = f"{name}-base-sl-id"
    for subnet in of_type(plan, "oci:Core/subnet:Subnet"):
        assert subnet["inputs"]["securityListIds"] == [base]


@pytest.mark.parametrize("stack", STACK_IDS)
def test_boot_volumes_get_oracles_performance(plans: dict[str, Any], stack: str) -> None:
    """oci-hpc gives every node's boot volume 30 VPUs/GB (infra/shapes.py TF)."""
    from infra.shapes import CATALOG

    for ic in of_type(plans[stack], "oci:Core/instanceConfiguration:InstanceConfiguration"):
        launch = ic["inputs"]["instanceDetails"]["launchDetails"]
        want = CATALOG[launch["shape"]].boot_volume_vpus_per_gb
        assert want == 30
        assert launch["sourceDetails"]["bootVolumeVpusPerGb"] == str(want)


@pytest.mark.parametrize("stack", STACK_IDS)
def test_rdma_plugins_enabled_on_every_pool(plans: dict[str, Any], stack: str) -> None:
    plan = plans[stack]
    ics = of_type(plan, "oci:Core/instanceConfiguration:InstanceConfiguration")
    assert len(ics) == len(plan.config.pools)
    for ic in ics:
        agent = ic["inputs"]["instanceDetails"]["launchDetails"]["agentConfig"]
        enabled = {p["name"] for p in agent["pluginsConfigs"] if p["desiredState"] == "ENABLED"}
        assert enabled >= RDMA_PLUGINS
        assert agent["areAllPluginsDisabled"] is False


@pytest.mark.parametrize("stack", STACK_IDS)
def test_pool_sizes_match_config(plans: dict[str, Any], stack: str) -> None:
    plan = plans[stack]
    names = by_name(plan)
    cluster = plan.config.cluster_name
    for pool in plan.config.pools:
        prefix = f"{cluster}-{pool.name}"
        if pool.mode == "cluster_network":
            chunks = [
                r
                for r in of_type(plan, "oci:Core/clusterNetwork:ClusterNetwork")
                if r["parent"] == prefix
            ]
            sizes = [p["size"] for r in chunks for p in r["inputs"]["instancePools"]]
            assert sum(sizes) == pool.launched  # nodes + spares
            assert all(s <= (pool.max_nodes_per_cluster_network or s) for s in sizes)
        elif pool.gpu_memory_fabric_ids:
            sizes = [
                r["inputs"]["size"]
                for r in of_type(plan, "oci:Core/computeGpuMemoryCluster:ComputeGpuMemoryCluster")
                if r["parent"] == prefix
            ]
            assert sum(sizes) == pool.launched
        else:
            instances = [
                r for r in of_type(plan, "oci:Core/instance:Instance") if r["parent"] == prefix
            ]
            assert len(instances) == pool.launched
            assert all(r["inputs"]["computeClusterId"] == f"{prefix}-cc-id" for r in instances)
        shape = names[f"{prefix}-ic"]["inputs"]["instanceDetails"]["launchDetails"]["shape"]
        assert shape == pool.shape
    assert plan.capacity.total_gpus == sum(p.gpus for p in plan.config.pools)


def _taggable(type_token: str) -> bool:
    """Whether the provider's Args class for this resource type accepts freeform_tags."""
    import importlib

    pkg, rest = type_token.split(":", 1)[1].split("/", 1)
    module = importlib.import_module(f"pulumi_oci.{pkg.lower()}")
    args_cls = getattr(module, rest.rsplit(":", 1)[-1] + "Args")
    return "freeform_tags" in inspect.signature(args_cls.__init__).parameters


@pytest.mark.parametrize("stack", STACK_IDS)
def test_every_taggable_resource_carries_cluster_tags(plans: dict[str, Any], stack: str) -> None:
    plan = plans[stack]
    expected = plan.config.cluster_tags
    checked = 0
    for res in plan.resources:
        if not res["type"].startswith("oci:") or not _taggable(res["type"]):
            continue
        tags = res["inputs"].get("freeformTags")
        assert tags is not None, res["name"]
        assert expected.items() <= tags.items(), res["name"]
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("stack", STACK_IDS)
def test_pools_and_data_are_protected(plans: dict[str, Any], stack: str) -> None:
    plan = plans[stack]
    guarded = [
        r
        for r in plan.resources
        if r["type"] in POOL_GUARDED_TYPES
        or r["type"] in {"oci:ObjectStorage/bucket:Bucket", "oci:FileStorage/fileSystem:FileSystem"}
        or (
            r["type"] == "oci:Core/instance:Instance"
            and r["parent"] != f"{plan.config.cluster_name}-bastion"
        )
    ]
    assert guarded
    assert all(r["protect"] for r in guarded), [r["name"] for r in guarded if not r["protect"]]


def test_protect_pools_false_lifts_protection(write_stack: Any) -> None:
    from infra.offline.plan import run_plan

    plan = run_plan(write_stack({"gpufleet:protect_pools": False}))
    cn = [r for r in plan.resources if r["type"] == "oci:Core/clusterNetwork:ClusterNetwork"]
    assert cn and not any(r["protect"] for r in cn)


def test_bucket_never_public_and_versioned(plans: dict[str, Any]) -> None:
    for plan in plans.values():
        for bucket in of_type(plan, "oci:ObjectStorage/bucket:Bucket"):
            assert bucket["inputs"]["accessType"] == "NoPublicAccess"
            assert bucket["inputs"]["versioning"] == "Enabled"


def test_nfs_only_from_nodes_to_storage(plans: dict[str, Any]) -> None:
    plan = plans["example"]
    rules = [
        r["inputs"]
        for r in of_type(
            plan, "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
        )
        if r["inputs"]["networkSecurityGroupId"] == "dev-storage-nsg-id"
        and r["inputs"]["direction"] == "INGRESS"
    ]
    assert {r["source"] for r in rules} == {"dev-nodes-nsg-id"}
    export = of_type(plan, "oci:FileStorage/export:Export")[0]["inputs"]
    assert export["exportOptions"][0]["source"] == str(plan.config.subnet_plan()["nodes"])


def test_stack_outputs_feed_the_inventory(plans: dict[str, Any]) -> None:
    outputs = plans["example"].outputs
    assert {"bastion_public_ip", "ssh_user", "pools", "capacity"} <= outputs.keys()
    assert outputs["pools"]["h100"]["shape"] == "BM.GPU.H100.8"
    assert outputs["capacity"]["total_gpus"] == 16
    # the example's h100 pool runs Ubuntu: its nodes log in as "ubuntu", the bastion as opc
    pool = outputs["pools"]["h100"]  # node addresses are unresolved Outputs under mocks
    exported = {
        "bastion_public_ip": "203.0.113.10",
        "ssh_user": outputs["ssh_user"],
        "pools": {
            "h100": {
                "shape": pool["shape"],
                "ssh_user": pool["ssh_user"],
                "nodes": [{"name": "h100-0001", "private_ip": "10.0.1.17"}],
            }
        },
    }
    doc = stack_output_to_inventory(exported, "outputs")
    assert {n["pool"]: n.get("user", doc["ssh"]["user"]) for n in doc["nodes"]} == {
        "h100": "ubuntu"
    }
    assert doc["ssh"]["bastion"]["user"] == "opc"


def test_cluster_network_create_timeout_follows_oci_hpc() -> None:
    from infra.components.gpu_pool import create_timeout_minutes, rack_sizes

    assert create_timeout_minutes(2) == 30
    assert create_timeout_minutes(20) == 60
    assert create_timeout_minutes(768) == 30 * 39
    assert rack_sizes(40, 3) == [18, 18, 4]
    assert rack_sizes(18, 2) == [18]


@pytest.mark.parametrize("stack", STACK_IDS)
def test_every_pool_self_bootstraps_within_the_metadata_cap(
    plans: dict[str, Any], stack: str
) -> None:
    import base64
    import gzip

    plan = plans[stack]
    for ic in of_type(plan, "oci:Core/instanceConfiguration:InstanceConfiguration"):
        metadata = ic["inputs"]["instanceDetails"]["launchDetails"]["metadata"]
        # OCI: metadata (user_data base64 + keys) at most 32,000 bytes
        assert sum(len(str(v)) for v in metadata.values()) <= 32_000
        raw = base64.b64decode(metadata["user_data"])
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        assert text.startswith(b"#cloud-config")
        if plan.config.storage.file_system is not None:
            assert "gpufleet_fss_host" in metadata


def test_an_amd_pool_is_refused_before_anything_is_planned(write_stack: Any) -> None:
    """MI300X: no ROCm bootstrap, no amd-smi health checks; refused, never launched bare."""
    import yaml

    from infra.config import ConfigError
    from infra.offline.plan import run_plan
    from tests.infra.conftest import EXAMPLE

    pool = yaml.safe_load(EXAMPLE.read_text())["config"]["gpufleet:pools"][0]
    with pytest.raises(ConfigError) as err:
        run_plan(write_stack({"gpufleet:pools": [{**pool, "shape": "BM.GPU.MI300X.8"}]}))
    text = err.value.render()
    assert "gpufleet:pools[0].shape = 'BM.GPU.MI300X.8': gpufleet cannot bootstrap or " in text
    for missing in ("ROCm repository", "amd-smi facts", "RCCL settings", "BM.GPU.H200.8"):
        assert missing in text
