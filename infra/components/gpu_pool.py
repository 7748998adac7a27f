"""GpuPool: identical bare-metal GPU nodes on one RDMA fabric.

InstanceConfiguration (shape, image, keys, user_data, RDMA agent plugins)
  + cluster_network mode: ClusterNetwork with one instance pool of `nodes`
  + compute_cluster mode: ComputeCluster + one Instance per node, or, for NVL72 shapes,
    one ComputeGpuMemoryCluster per GPU memory fabric (18 nodes per rack)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_oci.core as core

from infra.config.rules import NODES_PER_GPU_MEMORY_FABRIC

# Oracle Cloud Agent plugins an RDMA GPU node needs. Without the first two the RDMA ports get
# no 802.1X auth and no addresses (oci-hpc PR #36: compute-cluster nodes had "no IP address
# being assigned to the RoCEv2 interface"); the third feeds OCI's GPU/RDMA health metrics.
# Names and states as oci-hpc @ b5285a68 cluster-network-configuration.tf sets them.
RDMA_PLUGINS: tuple[tuple[str, str], ...] = (
    ("Compute HPC RDMA Authentication", "ENABLED"),
    ("Compute HPC RDMA Auto-Configuration", "ENABLED"),
    ("Compute RDMA GPU Monitoring", "ENABLED"),
    # oci-hpc disables it on GPU nodes: OS updates must never move the driver underneath us.
    ("OS Management Service Agent", "DISABLED"),
)
REQUIRED_PLUGINS = tuple(n for n, state in RDMA_PLUGINS if state == "ENABLED")


@dataclass(frozen=True)
class GpuPoolArgs:
    compartment_id: str
    availability_domain: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    nsg_id: pulumi.Input[str]
    pool_name: str
    shape: str
    nodes: int
    image_id: str
    boot_volume_gb: int
    mode: str  # "cluster_network" | "compute_cluster"
    ssh_public_key: str
    boot_volume_vpus_per_gb: int | None = None  # the shape catalog's (Oracle's reference)
    user_data_b64: str | None = None  # cloud-init for first-boot self-bootstrap
    # further instance metadata the node reads from IMDS (e.g. the File Storage address)
    extra_metadata: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    gpu_memory_fabric_ids: tuple[str, ...] = ()
    max_nodes_per_cluster_network: int | None = None
    hpc_island_id: str | None = None
    network_block_ids: tuple[str, ...] = ()
    replace_nodes: dict[str, int] = field(default_factory=dict)
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)


def create_timeout_minutes(nodes: int) -> int:
    """oci-hpc @ b5285a68 locals.tf: 30 minutes per started batch of 20 RDMA nodes."""
    return ((nodes - nodes % 20) // 20 + 1) * 30


def chunk_sizes(nodes: int, max_per_chunk: int | None) -> list[int]:
    """Cluster-network sizes: full chunks first, the remainder last. Growing a pool only grows
    the last chunk and appends new ones, so existing chunks keep their names and sizes."""
    if not max_per_chunk or nodes <= max_per_chunk:
        return [nodes]
    full, rest = divmod(nodes, max_per_chunk)
    return [max_per_chunk] * full + ([rest] if rest else [])


def chunk_name(prefix: str, index: int) -> str:
    """Chunk 0 keeps the unchunked name, so turning chunking on never renames a live pool."""
    return f"{prefix}-cn" if index == 0 else f"{prefix}-cn-{index}"


def rack_sizes(nodes: int, fabrics: int) -> list[int]:
    """Nodes per GPU memory cluster: full 18-node racks, the remainder in the last one."""
    sizes = [
        min(NODES_PER_GPU_MEMORY_FABRIC, nodes - i * NODES_PER_GPU_MEMORY_FABRIC)
        for i in range(fabrics)
    ]
    return [s for s in sizes if s > 0]


class GpuPool(pulumi.ComponentResource):
    instance_configuration: core.InstanceConfiguration
    cluster_network: core.ClusterNetwork | None = None
    compute_cluster: core.ComputeCluster | None = None

    def __init__(
        self, name: str, args: GpuPoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpufleet:pool:GpuPool", name, None, opts)
        self.args = args
        # Pools and their fabrics are protected: a config edit that would replace or destroy
        # hundreds of GPUs fails instead (lift it with gpufleet:protect_pools: false).
        guarded = pulumi.ResourceOptions(parent=self, protect=args.protect)
        metadata: dict[str, pulumi.Input[str]] = {
            "ssh_authorized_keys": args.ssh_public_key,
            **args.extra_metadata,
        }
        if args.user_data_b64:
            metadata["user_data"] = args.user_data_b64
        plugins = [
            core.InstanceConfigurationInstanceDetailsLaunchDetailsAgentConfigPluginsConfigArgs(
                name=n, desired_state=s
            )
            for n, s in RDMA_PLUGINS
        ]
        launch = core.InstanceConfigurationInstanceDetailsLaunchDetailsArgs(
            compartment_id=args.compartment_id,
            availability_domain=args.availability_domain,
            shape=args.shape,
            display_name=f"{name}-node",
            source_details=core.InstanceConfigurationInstanceDetailsLaunchDetailsSourceDetailsArgs(
                source_type="image",
                image_id=args.image_id,
                boot_volume_size_in_gbs=str(args.boot_volume_gb),
                boot_volume_vpus_per_gb=(
                    str(args.boot_volume_vpus_per_gb) if args.boot_volume_vpus_per_gb else None
                ),
            ),
            create_vnic_details=core.InstanceConfigurationInstanceDetailsLaunchDetailsCreateVnicDetailsArgs(
                subnet_id=args.subnet_id, assign_public_ip=False, nsg_ids=[args.nsg_id]
            ),
            metadata=metadata,
            agent_config=core.InstanceConfigurationInstanceDetailsLaunchDetailsAgentConfigArgs(
                are_all_plugins_disabled=False,
                is_monitoring_disabled=False,
                is_management_disabled=False,
                plugins_configs=plugins,
            ),
            # IMDSv1 off: everything on the node uses /opc/v2 (oci-hpc does the same).
            instance_options=core.InstanceConfigurationInstanceDetailsLaunchDetailsInstanceOptionsArgs(
                are_legacy_imds_endpoints_disabled=True
            ),
            freeform_tags=args.tags,
        )
        # Not protected on purpose: instance_details is ForceNew, so every image or user-data
        # change must be able to replace it; the cluster network then updates its
        # instance_configuration_id in place and only newly launched nodes use the new one.
        self.instance_configuration = core.InstanceConfiguration(
            f"{name}-ic",
            core.InstanceConfigurationArgs(
                compartment_id=args.compartment_id,
                display_name=f"{name}-ic",
                instance_details=core.InstanceConfigurationInstanceDetailsArgs(
                    instance_type="compute", launch_details=launch
                ),
                freeform_tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        timeouts = pulumi.CustomTimeouts(create=f"{create_timeout_minutes(args.nodes)}m")
        if args.mode == "cluster_network":
            self._cluster_network(name, args, guarded, timeouts)
        else:
            self._compute_cluster(name, args, guarded, timeouts)
        self.register_outputs({"id": self.id_output})

    def _cluster_network(
        self,
        name: str,
        args: GpuPoolArgs,
        guarded: pulumi.ResourceOptions,
        timeouts: pulumi.CustomTimeouts,
    ) -> None:
        placement = None
        if args.hpc_island_id:
            placement = core.ClusterNetworkClusterConfigurationArgs(
                hpc_island_id=args.hpc_island_id,
                network_block_ids=list(args.network_block_ids) or None,
            )
        self.cluster_networks: list[core.ClusterNetwork] = []
        for index, size in enumerate(chunk_sizes(args.nodes, args.max_nodes_per_cluster_network)):
            cn_name = chunk_name(name, index)
            self.cluster_networks.append(
                core.ClusterNetwork(
                    cn_name,
                    core.ClusterNetworkArgs(
                        compartment_id=args.compartment_id,
                        display_name=cn_name,
                        instance_pools=[
                            core.ClusterNetworkInstancePoolArgs(
                                instance_configuration_id=self.instance_configuration.id,
                                size=size,
                                display_name=f"{cn_name}-pool",
                            )
                        ],
                        # ForceNew in the provider: changing AD or subnet replaces every node.
                        placement_configuration=core.ClusterNetworkPlacementConfigurationArgs(
                            availability_domain=args.availability_domain,
                            primary_subnet_id=args.subnet_id,
                        ),
                        cluster_configuration=placement,
                        freeform_tags=args.tags,
                    ),
                    # Bare-metal RDMA pools take long to launch: oci-hpc's create timeout formula.
                    opts=pulumi.ResourceOptions.merge(
                        guarded,
                        pulumi.ResourceOptions(
                            custom_timeouts=pulumi.CustomTimeouts(
                                create=f"{create_timeout_minutes(size)}m"
                            )
                        ),
                    ),
                )
            )
        self.cluster_network = self.cluster_networks[0]
        self.id_output = self.cluster_network.id
        if args.replace_nodes:
            from infra.components.node_replacement import NodeReplacement, provider_settings

            settings = provider_settings()  # the stack's oci:region and provider settings

            # Which chunk holds the node is known only to OCI: the provider asks each pool.
            pool_ids = pulumi.Output.all(
                *[cn.instance_pools.apply(lambda p: p[0].id or "") for cn in self.cluster_networks]
            )
            for instance_id, generation in sorted(args.replace_nodes.items()):
                NodeReplacement(
                    f"{name}-replace-{instance_id[-12:]}-{generation}",
                    pool_ids,
                    instance_id,
                    generation,
                    settings,
                    opts=pulumi.ResourceOptions(parent=self),
                )

    def _compute_cluster(
        self,
        name: str,
        args: GpuPoolArgs,
        guarded: pulumi.ResourceOptions,
        timeouts: pulumi.CustomTimeouts,
    ) -> None:
        self.compute_cluster = core.ComputeCluster(
            f"{name}-cc",
            core.ComputeClusterArgs(
                compartment_id=args.compartment_id,
                availability_domain=args.availability_domain,
                display_name=f"{name}-cc",
                freeform_tags=args.tags,
            ),
            opts=guarded,
        )
        self.id_output = self.compute_cluster.id
        self.instances: list[core.Instance] = []
        # Node names, parallel to `instances`: "<pool>-0007", the hostname, the inventory name
        # and the key `replace_nodes` takes (not the stack-prefixed display name).
        self.node_names: list[str] = []
        self.memory_clusters: list[core.ComputeGpuMemoryCluster] = []
        if args.gpu_memory_fabric_ids:
            sizes = rack_sizes(args.nodes, len(args.gpu_memory_fabric_ids))
            for i, (fabric, size) in enumerate(
                zip(args.gpu_memory_fabric_ids, sizes, strict=False)
            ):
                self.memory_clusters.append(
                    core.ComputeGpuMemoryCluster(
                        f"{name}-gmc-{i}",
                        core.ComputeGpuMemoryClusterArgs(
                            compartment_id=args.compartment_id,
                            availability_domain=args.availability_domain,
                            compute_cluster_id=self.compute_cluster.id,
                            instance_configuration_id=self.instance_configuration.id,
                            gpu_memory_fabric_id=fabric,
                            size=str(size),  # a string in pulumi-oci 5.5
                            display_name=f"{name}-gmc-{i}",
                            freeform_tags=args.tags,
                        ),
                        opts=pulumi.ResourceOptions.merge(
                            guarded, pulumi.ResourceOptions(custom_timeouts=timeouts)
                        ),
                    )
                )
            return
        # Every node option below is explained in docs/day2.md:
        # - ignore_changes on instanceConfigurationId: that input is ForceNew and every field of
        #   an instance configuration is too, so without it any software bump, image, key or tag
        #   change would rebuild every node. Running nodes keep the configuration they launched
        #   from (`gpufleet bootstrap` brings them up to date); new and replaced nodes take the
        #   current one (the engine checks a replacement against the program's inputs, not the
        #   ignored old ones: pulumi/pulumi pkg/resource/deploy/step_generator.go, "recompute the
        #   default values" before a replace).
        # - delete_before_replace: the hostname label is the node's name, unique in its subnet,
        #   so a replacement created next to the old node would be refused by OCI; deleting first
        #   also frees the bare-metal host the replacement needs.
        node_opts = pulumi.ResourceOptions.merge(
            guarded,
            pulumi.ResourceOptions(
                ignore_changes=["instanceConfigurationId"], delete_before_replace=True
            ),
        )
        for index in range(1, args.nodes + 1):
            node = f"{args.pool_name}-{index:04d}"
            generation = args.replace_nodes.get(node)
            # A node listed in replace_nodes is recreated when its generation changes, and
            # protection is lifted for that node alone. Every node carries a trigger ("gen-0"
            # when not listed): the engine never fires on a trigger that was or becomes null
            # (step_generator.go shouldTriggerReplace), so listing a node for the first time
            # must change a value, not add one. Keep the entry afterwards: removing it changes
            # the trigger again.
            trigger = pulumi.ResourceOptions(replacement_trigger=f"gen-{generation or 0}")
            opts = pulumi.ResourceOptions.merge(
                node_opts,
                trigger
                if generation is None
                else pulumi.ResourceOptions.merge(trigger, pulumi.ResourceOptions(protect=False)),
            )
            self.node_names.append(node)
            self.instances.append(
                core.Instance(
                    f"{name}-{index:04d}",
                    core.InstanceArgs(
                        compartment_id=args.compartment_id,
                        availability_domain=args.availability_domain,
                        compute_cluster_id=self.compute_cluster.id,
                        instance_configuration_id=self.instance_configuration.id,
                        display_name=f"{name}-{index:04d}",
                        create_vnic_details=core.InstanceCreateVnicDetailsArgs(
                            subnet_id=args.subnet_id,
                            assign_public_ip="false",
                            nsg_ids=[args.nsg_id],
                            hostname_label=node,
                        ),
                        freeform_tags=args.tags,
                    ),
                    opts=opts,
                )
            )
