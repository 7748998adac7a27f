"""Inputs the OCI provider replaces a resource for (ForceNew), for the offline diff.

pulumi-oci bridges terraform-provider-oci, so a field marked `ForceNew: true` in the provider's
schema (or forced by its CustomizeDiff) replaces the resource when it changes. Each rule names
the file and commit it was read from (github.com/oracle/terraform-provider-oci,
internal/service/core/). A preview against real state stays the authority: these rules only
predict. Deliberately absent because the provider updates them in place: Subnet `cidr_block`,
Vcn `cidr_blocks` (one add/remove/modify at a time), Instance `shape` and
`source_details.source_id`, ClusterNetwork `instance_pools[*].size` and
`instance_configuration_id`, GPU memory cluster `size` and `instance_configuration_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.review import model
from bootstrap.review.model import ForceNewHit
from bootstrap.review.paths import generic

_TF = "oracle/terraform-provider-oci internal/service/core/"
_CN = _TF + "core_cluster_network_resource.go @0559e758"
_IC = _TF + "core_instance_configuration_resource.go (facts/pulumi.md section 2)"
_INST = _TF + "core_instance_resource.go @00b15711"
_GMC = _TF + "core_compute_gpu_memory_cluster_resource.go @3da34f9b"
_SUBNET = _TF + "core_subnet_resource.go @12a195a4"
_VCN = _TF + "core_vcn_resource.go @12a195a4"


@dataclass(frozen=True)
class Rule:
    type: str
    path: str  # camelCase, indices dropped; a prefix of the changed path's segments
    source: str
    why: str = "ForceNew"


RULES: tuple[Rule, ...] = (
    Rule(
        model.CLUSTER_NETWORK,
        "placementConfiguration",
        _CN,
        "placement_configuration (AD, primary subnet, secondary VNIC subnets) is ForceNew: "
        "every node of the cluster network is terminated and launched again",
    ),
    Rule(
        model.INSTANCE_CONFIGURATION,
        "instanceDetails",
        _IC,
        "instance_details is ForceNew at every level: a new instance configuration is created",
    ),
    Rule(model.INSTANCE_CONFIGURATION, "compartmentId", _IC),
    Rule(model.INSTANCE, "availabilityDomain", _INST),
    Rule(model.INSTANCE, "computeClusterId", _INST),
    Rule(
        model.INSTANCE,
        "instanceConfigurationId",
        _INST,
        "instance_configuration_id is ForceNew: the node is terminated and launched again",
    ),
    Rule(model.INSTANCE, "clusterPlacementGroupId", _INST),
    Rule(model.INSTANCE, "createVnicDetails.subnetId", _INST),
    Rule(model.INSTANCE, "createVnicDetails.privateIp", _INST),
    Rule(model.INSTANCE, "createVnicDetails.assignPrivateDnsRecord", _INST),
    Rule(model.INSTANCE, "createVnicDetails.vlanId", _INST),
    Rule(model.INSTANCE, "hostnameLabel", _INST),
    Rule(model.INSTANCE, "ipxeScript", _INST),
    Rule(model.INSTANCE, "isPvEncryptionInTransitEnabled", _INST),
    Rule(model.INSTANCE, "preemptibleInstanceConfig", _INST),
    Rule(model.INSTANCE, "sourceDetails.bootVolumeVpusPerGb", _INST),
    Rule(model.INSTANCE, "sourceDetails.instanceSourceImageFilterDetails", _INST),
    Rule(
        model.INSTANCE,
        "metadata.ssh_authorized_keys",
        _INST,
        "CustomizeDiff ForceNewIfChange: a new ssh_authorized_keys replaces the instance",
    ),
    Rule(
        model.INSTANCE,
        "metadata.user_data",
        _INST,
        "CustomizeDiff ForceNewIfChange: new user_data replaces the instance",
    ),
    Rule(model.GPU_MEMORY_CLUSTER, "availabilityDomain", _GMC),
    Rule(model.GPU_MEMORY_CLUSTER, "computeClusterId", _GMC),
    Rule(model.GPU_MEMORY_CLUSTER, "gpuMemoryFabricId", _GMC),
    Rule(model.SUBNET, "vcnId", _SUBNET),
    Rule(model.SUBNET, "availabilityDomain", _SUBNET),
    Rule(model.SUBNET, "dnsLabel", _SUBNET),
    Rule(model.SUBNET, "prohibitInternetIngress", _SUBNET),
    Rule(model.SUBNET, "prohibitPublicIpOnVnic", _SUBNET),
    Rule(model.VCN, "cidrBlock", _VCN),
    Rule(model.VCN, "dnsLabel", _VCN),
)


def _covers(rule_path: str, path: str) -> bool:
    changed = generic(path)
    return changed == rule_path or changed.startswith(rule_path + ".")


def hits(resource_type: str, paths: list[str]) -> tuple[ForceNewHit, ...]:
    """The ForceNew rules that `paths` (changed property paths) trigger, one per path."""
    out = []
    for path in paths:
        for rule in RULES:
            if rule.type == resource_type and _covers(rule.path, path):
                out.append(ForceNewHit(path, rule.path, f"{rule.why} — {rule.source}"))
                break
    return tuple(out)
