"""Typed changes shared by the preview parser, the offline diff, the impact and the renderer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

# pulumi/pulumi sdk/go/common/resource/plugin: computed values in previews (same value as
# UNKNOWN_STRING_VALUE in pulumi_policy/proxy.py); infra/offline/recorder.py writes "<computed>".
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
OFFLINE_UNKNOWN = "<computed>"

# Resource types whose replace or delete costs GPUs, data or connectivity.
CLUSTER_NETWORK = "oci:Core/clusterNetwork:ClusterNetwork"
COMPUTE_CLUSTER = "oci:Core/computeCluster:ComputeCluster"
GPU_MEMORY_CLUSTER = "oci:Core/computeGpuMemoryCluster:ComputeGpuMemoryCluster"
INSTANCE = "oci:Core/instance:Instance"
INSTANCE_CONFIGURATION = "oci:Core/instanceConfiguration:InstanceConfiguration"
INSTANCE_POOL = "oci:Core/instancePool:InstancePool"
VCN = "oci:Core/vcn:Vcn"
SUBNET = "oci:Core/subnet:Subnet"
FILE_SYSTEM = "oci:FileStorage/fileSystem:FileSystem"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
POOL_COMPONENT = "gpufleet:pool:GpuPool"

DANGEROUS_TYPES = frozenset(
    {
        CLUSTER_NETWORK,
        COMPUTE_CLUSTER,
        GPU_MEMORY_CLUSTER,
        INSTANCE,
        INSTANCE_CONFIGURATION,
        INSTANCE_POOL,
        VCN,
        SUBNET,
        FILE_SYSTEM,
        BUCKET,
        POOL_COMPONENT,
    }
)

# Engine step ops (pulumi apitype.OpType) that destroy the existing resource.
DESTRUCTIVE_OPS = frozenset(
    {
        "delete",
        "replace",
        "create-replacement",
        "delete-replaced",
        "discard",
        "discard-replaced",
        "import-replacement",
        "read-replacement",
    }
)
# Ops shown as "no change" (counted, never listed).
QUIET_OPS = frozenset({"same", "read", "refresh"})


class ReviewInputError(ValueError):
    """The input is not a preview document / plan manifest of the expected shape."""


@dataclass(frozen=True)
class ForceNewHit:
    """A changed input that the provider replaces the resource for."""

    path: str  # the changed property path, camelCase
    rule: str  # the rule's path prefix
    source: str  # where the rule comes from (provider file and field)


@dataclass(frozen=True)
class ResourceChange:
    op: str
    type: str
    name: str
    urn: str = ""
    parent: str | None = None
    old_inputs: Mapping[str, Any] | None = None
    new_inputs: Mapping[str, Any] | None = None
    protect: bool = False
    diff_paths: tuple[tuple[str, str], ...] = ()  # (path, kind) from detailedDiff or computed
    replace_reasons: tuple[str, ...] = ()
    diff_reasons: tuple[str, ...] = ()
    predicted: bool = False  # offline diff: replacement predicted from ForceNew rules
    forcenew: tuple[ForceNewHit, ...] = ()
    cascade: tuple[str, ...] = ()  # offline: replaced resources whose new id this one takes

    @property
    def short_type(self) -> str:
        return self.type.rsplit(":", 1)[-1] or self.type

    @property
    def destructive(self) -> bool:
        return self.op in DESTRUCTIVE_OPS

    @property
    def dangerous(self) -> bool:
        return self.destructive and (self.type in DANGEROUS_TYPES or self.protect)


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str = ""


class Disruption(Enum):
    """What happens to a pool's running nodes, mildest first."""

    NONE = 0
    NEW_NODES = 1  # only nodes launched from now on are affected (grow, new launch template)
    SHRINK = 2  # some nodes terminated (not in the brief's four levels: too loud to hide)
    RECREATE = 3  # running nodes destroyed and launched again
    DESTROY = 4  # the pool goes away


@dataclass(frozen=True)
class PoolImpact:
    pool: str
    shape_before: str | None
    shape_after: str | None
    nodes_before: int | None
    nodes_after: int | None
    gpus_before: int | None
    gpus_after: int | None
    usd_before: float | None
    usd_after: float | None
    kw_before: float | None
    kw_after: float | None
    disruption: Disruption
    recreated_nodes: int = 0
    why: str = ""

    @property
    def shape(self) -> str | None:
        return self.shape_after or self.shape_before

    @property
    def disruption_label(self) -> str:
        if self.disruption is Disruption.RECREATE:
            if self.nodes_before is not None and self.recreated_nodes < self.nodes_before:
                return f"recreates {self.recreated_nodes} of {self.nodes_before} nodes"
            return "recreate all"
        if self.disruption is Disruption.SHRINK and None not in (
            self.nodes_before,
            self.nodes_after,
        ):
            return f"removes {(self.nodes_before or 0) - (self.nodes_after or 0)} nodes"
        return {
            Disruption.NONE: "none",
            Disruption.NEW_NODES: "new nodes only",
            Disruption.SHRINK: "removes nodes",
            Disruption.DESTROY: "destroy",
        }[self.disruption]


@dataclass(frozen=True)
class Review:
    """Everything the renderer needs; built by `preview.review_preview` or `offline.diff`."""

    source: str  # "pulumi preview" | "offline plan diff"
    changes: tuple[ResourceChange, ...]
    unchanged: int
    impacts: tuple[PoolImpact, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()
    extra_sections: tuple[tuple[str, str], ...] = field(default=())  # (title, markdown)
