"""Policy rules as plain functions over (resource type, camelCase props, options, settings).

The same functions run in three places: the Pulumi policy pack (`policy/__main__.py`, with
`pulumi preview --policy-pack policy`), offline over a `gpufleet plan` manifest
(`policy/offline.py`), and in tests without the Pulumi CLI. Each rule yields one message per
violation; the message names the resource property, what is wrong and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network, ip_network
from typing import Any

from policy import compat

CLUSTER_NETWORK = "oci:Core/clusterNetwork:ClusterNetwork"
COMPUTE_CLUSTER = "oci:Core/computeCluster:ComputeCluster"
GPU_MEMORY_CLUSTER = "oci:Core/computeGpuMemoryCluster:ComputeGpuMemoryCluster"
INSTANCE = "oci:Core/instance:Instance"
INSTANCE_CONFIGURATION = "oci:Core/instanceConfiguration:InstanceConfiguration"
INSTANCE_POOL = "oci:Core/instancePool:InstancePool"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
POOL_TAG = "gpufleet-pool"

# Oracle Cloud Agent plugins every RDMA GPU node needs (infra/components/gpu_pool.py says why;
# names as oci-hpc @ b5285a68 cluster-network-configuration.tf sets them).
RDMA_PLUGINS = (
    "Compute HPC RDMA Authentication",
    "Compute HPC RDMA Auto-Configuration",
    "Compute RDMA GPU Monitoring",
)
# OCI's minimum boot volume (50 GB) is also oci-hpc's ORM schema minimum (infra/config/model.py);
# raise it per stack with the `minBootVolumeGb` policy config.
MIN_BOOT_VOLUME_GB = 50
# Prefixes of OCI GPU shapes (docs.oracle.com .../computeshapes.htm "Bare Metal GPU shapes").
GPU_SHAPE_PREFIXES = ("BM.GPU", "VM.GPU")


@dataclass(frozen=True)
class Options:
    """The resource options a rule may look at (PolicyResourceOptions subset)."""

    name: str = ""
    protect: bool = False


@dataclass(frozen=True)
class Settings:
    """Per-stack policy settings (the pack's policy config / the stack config offline)."""

    admin_cidrs: tuple[str, ...] = ()
    vcn_cidr: str | None = None
    min_boot_volume_gb: int = MIN_BOOT_VOLUME_GB
    protect_pools: bool = True
    software: compat.Software | None = None
    # resource id -> resource name, to tell which NSG a rule belongs to
    names_by_id: Mapping[str, str] = field(default_factory=dict)


Rule = Callable[[str, Mapping[str, Any], Options, Settings], Iterator[str]]


def _dig(props: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(props, Mapping) or part not in props:
            return None
        props = props[part]
    return props


def _is_gpu(rtype: str, props: Mapping[str, Any]) -> bool:
    tags = props.get("freeformTags")
    if isinstance(tags, Mapping) and POOL_TAG in tags:
        return True
    shape = (
        _dig(props, "instanceDetails.launchDetails.shape")
        if rtype == INSTANCE_CONFIGURATION
        else props.get("shape")
    )
    return isinstance(shape, str) and shape.startswith(GPU_SHAPE_PREFIXES)


def _items(value: Any) -> list[Any]:
    """A list property's items. Not `isinstance(value, list)`: under the real analyzer a list
    arrives as pulumi-policy's read-only proxy, a Sequence (pulumi_policy/proxy.py _ListProxy)."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return []


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def no_public_ip_on_gpu_nodes(
    rtype: str, props: Mapping[str, Any], opts: Options, settings: Settings
) -> Iterator[str]:
    if rtype not in (INSTANCE, INSTANCE_CONFIGURATION) or not _is_gpu(rtype, props):
        return
    path = (
        "instanceDetails.launchDetails.createVnicDetails.assignPublicIp"
        if rtype == INSTANCE_CONFIGURATION
        else "createVnicDetails.assignPublicIp"
    )
    value = _dig(props, path)
    if not _false(value):
        # terraform-provider-oci core_instance_resource.go: assign_public_ip Default "true".
        shown = "unset (the provider defaults it to true)" if value is None else repr(value)
        yield (
            f"{path} is {shown}: GPU nodes must have no public IP; set it to false and "
            "reach nodes through the bastion"
        )


def _covers_ssh(props: Mapping[str, Any], options_key: str) -> bool:
    protocol = str(props.get("protocol", ""))
    if protocol == "all":
        return True
    if protocol != "6":
        return False
    port_range = _dig(props, f"{options_key}.destinationPortRange")
    if not isinstance(port_range, Mapping):
        return True  # no port range: every TCP port
    lo, hi = port_range.get("min"), port_range.get("max")
    return isinstance(lo, int | float) and isinstance(hi, int | float) and lo <= 22 <= hi


def _outside(source: str, settings: Settings) -> IPv4Network | None:
    """The source network if it is a CIDR outside the VCN, else None."""
    try:
        net = ip_network(source, strict=False)
    except ValueError:
        return None
    if not isinstance(net, IPv4Network):
        return None
    if settings.vcn_cidr:
        vcn = ip_network(settings.vcn_cidr, strict=False)
        if isinstance(vcn, IPv4Network) and net.subnet_of(vcn):
            return None
    return net


def _admitted(net: IPv4Network, settings: Settings) -> bool:
    for cidr in settings.admin_cidrs:
        allowed = ip_network(cidr, strict=False)
        if isinstance(allowed, IPv4Network) and net.subnet_of(allowed):
            return True
    return False


def ssh_only_to_bastion(
    rtype: str, props: Mapping[str, Any], opts: Options, settings: Settings
) -> Iterator[str]:
    if rtype == NSG_RULE:
        if (
            str(props.get("direction", "")).upper() != "INGRESS"
            or str(props.get("sourceType", "CIDR_BLOCK")) != "CIDR_BLOCK"
        ):
            return
        net = _outside(str(props.get("source", "")), settings)
        if net is None or not _covers_ssh(props, "tcpOptions"):
            return
        nsg_id = str(props.get("networkSecurityGroupId", ""))
        nsg = settings.names_by_id.get(nsg_id, nsg_id)
        if not nsg.endswith("bastion-nsg"):
            yield (
                f"admits SSH from {net} (outside the VCN) to NSG {nsg}: SSH from outside "
                "may reach only the bastion NSG; reach nodes through the bastion"
            )
        elif not _admitted(net, settings):
            yield (
                f"admits SSH to the bastion from {net}, which is not within the configured "
                f"admin CIDRs ({', '.join(settings.admin_cidrs) or 'none'}); add it to "
                "gpufleet:admin_cidrs or narrow the rule"
            )
    elif rtype == SECURITY_LIST:
        rules = props.get("ingressSecurityRules")
        for i, rule in enumerate(_items(rules)):
            if not isinstance(rule, Mapping):
                continue
            net = _outside(str(rule.get("source", "")), settings)
            if net is not None and _covers_ssh(rule, "tcpOptions"):
                yield (
                    f"ingressSecurityRules[{i}] admits SSH from {net} to every VNIC of the "
                    "subnets using this security list; allow SSH only in the bastion NSG"
                )


def rdma_plugins_enabled(
    rtype: str, props: Mapping[str, Any], opts: Options, settings: Settings
) -> Iterator[str]:
    if rtype == INSTANCE_CONFIGURATION and _is_gpu(rtype, props):
        prefix = "instanceDetails.launchDetails.agentConfig"
    elif rtype == INSTANCE and _is_gpu(rtype, props) and not props.get("instanceConfigurationId"):
        prefix = "agentConfig"  # a node launched from an instance configuration inherits it
    else:
        return
    agent = _dig(props, prefix)
    if isinstance(agent, Mapping) and agent.get("areAllPluginsDisabled") is True:
        yield f"{prefix}.areAllPluginsDisabled is true: the RDMA plugins cannot run"
        return
    configs = agent.get("pluginsConfigs") if isinstance(agent, Mapping) else None
    state = {
        str(c.get("name")): str(c.get("desiredState", "")).upper()
        for c in _items(configs)
        if isinstance(c, Mapping)
    }
    missing = [p for p in RDMA_PLUGINS if state.get(p) != "ENABLED"]
    if missing:
        yield (
            f"{prefix}.pluginsConfigs does not enable {', '.join(missing)}: without them "
            "RDMA ports get no 802.1X auth or addresses; add them with desiredState ENABLED"
        )


def gpu_pools_protected(
    rtype: str, props: Mapping[str, Any], opts: Options, settings: Settings
) -> Iterator[str]:
    pool_types = (CLUSTER_NETWORK, COMPUTE_CLUSTER, GPU_MEMORY_CLUSTER, INSTANCE_POOL)
    pool = rtype in pool_types or (rtype == INSTANCE and _is_gpu(rtype, props))
    if pool and not opts.protect:
        yield (
            "is not protected: a config edit could replace or delete GPU nodes; keep "
            "protect=True (gpufleet:protect_pools: true)"
        )


def boot_volume_minimum(
    rtype: str, props: Mapping[str, Any], opts: Options, settings: Settings
) -> Iterator[str]:
    if rtype == INSTANCE_CONFIGURATION and _is_gpu(rtype, props):
        path = "instanceDetails.launchDetails.sourceDetails.bootVolumeSizeInGbs"
    elif rtype == INSTANCE and _is_gpu(rtype, props) and not props.get("instanceConfigurationId"):
        path = "sourceDetails.bootVolumeSizeInGbs"
    else:
        return
    value = _dig(props, path)
    try:
        size = int(str(value))
    except ValueError:
        yield (
            f"{path} is {'unset' if value is None else repr(value)}: set it to at least "
            f"{settings.min_boot_volume_gb} GB"
        )
        return
    if size < settings.min_boot_volume_gb:
        yield (
            f"{path} is {size} GB, below the minimum of {settings.min_boot_volume_gb} GB; "
            "raise pools[].boot_volume_gb"
        )


def bucket_not_public(
    rtype: str, props: Mapping[str, Any], opts: Options, settings: Settings
) -> Iterator[str]:
    if rtype != BUCKET:
        return
    access = props.get("accessType")
    # OCI default is NoPublicAccess (oci_objectstorage_bucket access_type).
    if access not in (None, "NoPublicAccess"):
        yield f"accessType is {access!r}: buckets must never be public; set NoPublicAccess"


def software_compatible(settings: Settings) -> list[str]:
    """Stack-level: the configured driver / CUDA / NCCL / torch in the known-compatible matrix."""
    return [] if settings.software is None else compat.problems(settings.software)


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    check: Rule
    mandatory: bool = True


POLICIES: tuple[Policy, ...] = (
    Policy(
        "no-public-ip-on-gpu-nodes", "GPU nodes never get a public IP.", no_public_ip_on_gpu_nodes
    ),
    Policy(
        "ssh-only-to-bastion",
        "SSH from outside the VCN reaches only the bastion NSG, from configured CIDRs.",
        ssh_only_to_bastion,
    ),
    Policy(
        "rdma-plugins-enabled",
        "Every GPU pool enables the Oracle Cloud Agent RDMA plugins.",
        rdma_plugins_enabled,
    ),
    Policy("gpu-pools-protected", "GPU pools carry protect=True.", gpu_pools_protected),
    Policy(
        "boot-volume-minimum",
        "GPU node boot volumes are at least the minimum size.",
        boot_volume_minimum,
    ),
    Policy("bucket-not-public", "Object Storage buckets are never public.", bucket_not_public),
)
SOFTWARE_POLICY = Policy(
    "software-compatible",
    "Driver, CUDA, NCCL and (venv) torch versions are in the known-compatible matrix.",
    lambda *_: iter(()),
)
