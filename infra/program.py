"""The Pulumi program: stack config -> components -> stack outputs.

`main()` is what `pulumi up` runs (via infra/__main__.py) and what `gpufleet plan` runs under
Pulumi's mock runtime; validation happens before the first resource is registered.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra import lookups
from infra.capacity import summarize
from infra.config import ConfigError, Problem, StackConfig, from_pulumi_config


def _row(result: Any, *names: str) -> dict[str, Any]:
    """The fields of a provider lookup result object (attributes, not a dict: `vars()` of
    one is empty), or of a dict as the mock runtime may hand back."""
    if isinstance(result, dict):
        return {n: result.get(n) for n in names}
    return {n: getattr(result, n, None) for n in names}


def _pool_nodes(
    component: Any,
    config: StackConfig,
    nodes_subnet_id: pulumi.Output[str],
    ad: pulumi.Input[str],
) -> Any:
    """[{name, id, private_ip}] for a pool's nodes, known only after `up` (unknown in preview)."""
    import pulumi_oci.core as core

    cid = config.compartment_id

    def joined(instance_lists: list[Any]) -> Any:
        """Instances (each list item: one cluster network's or memory cluster's) joined with
        the VNIC attachments and the node subnet's private IPs: three lookups per pool."""
        atts = core.get_vnic_attachments_output(compartment_id=cid, availability_domain=ad)
        ips = core.get_private_ips_output(subnet_id=nodes_subnet_id)
        return pulumi.Output.all(
            pulumi.Output.all(*instance_lists), atts.vnic_attachments, ips.private_ips
        ).apply(
            lambda r: lookups.join_node_addresses(
                [_row(x, "id", "display_name") for chunk in r[0] for x in chunk or []],
                [_row(x, "instance_id", "vnic_id", "state") for x in r[1] or []],
                [_row(x, "vnic_id", "ip_address", "is_primary") for x in r[2] or []],
            )
        )

    if component.cluster_network is not None:

        def cluster_networks(cn_ids: list[str]) -> Any:
            if pulumi.runtime.is_dry_run():
                return []  # nodes do not exist in a preview
            return joined(
                [
                    core.get_cluster_network_instances_output(
                        cluster_network_id=cn, compartment_id=cid
                    ).instances
                    for cn in cn_ids
                ]
            )

        return pulumi.Output.all(*[cn.id for cn in component.cluster_networks]).apply(
            cluster_networks
        )
    if getattr(component, "memory_clusters", None):
        # GB200: the memory clusters launch the nodes; each lists its instances
        # (pulumi-oci core.get_compute_gpu_memory_cluster_instances: items with id and
        # display_name). Their ids are taken to be the instances' OCIDs that VNIC attachments
        # name; if they were not, the nodes would come out without an address and
        # `gpufleet inventory` would refuse them, not pass them silently.

        def memory_clusters(ids: list[str]) -> Any:
            if pulumi.runtime.is_dry_run():
                return []
            return joined(
                [
                    core.get_compute_gpu_memory_cluster_instances_output(
                        compute_gpu_memory_cluster_id=mc
                    ).compute_gpu_memory_cluster_instance_collections.apply(
                        lambda cols: [item for col in cols or [] for item in _items(col)]
                    )
                    for mc in ids
                ]
            )

        return pulumi.Output.all(*[mc.id for mc in component.memory_clusters]).apply(
            memory_clusters
        )
    if getattr(component, "instances", None):
        names = component.node_names  # "<pool>-0007": what replace_nodes and the inventory use
        return pulumi.Output.all(
            *[pulumi.Output.all(i.id, i.private_ip) for i in component.instances]
        ).apply(
            lambda rows: [
                {"name": n, "id": i, "private_ip": ip}
                for n, (i, ip) in zip(names, rows, strict=True)
            ]
        )
    return []


def _items(collection: Any) -> list[Any]:
    """A lookup collection's `items` (attribute, or key when the mock runtime hands a dict)."""
    items = collection.get("items") if isinstance(collection, dict) else collection.items
    return list(items or [])


def build(config: StackConfig, user_data: dict[str, str] | None = None) -> None:
    """Declare everything for `config`. `user_data` maps pool name -> base64 cloud-init."""
    from infra.components.bastion import Bastion, BastionArgs
    from infra.components.gpu_pool import GpuPool, GpuPoolArgs
    from infra.components.network import Network, NetworkArgs
    from infra.components.storage import Storage, StorageArgs

    name = config.cluster_name
    tags = config.cluster_tags
    plan = config.subnet_plan()
    file_system = config.storage.file_system
    with_fs = file_system is not None
    ad = lookups.availability_domain(config.compartment_id, config.availability_domain)

    network = Network(
        name,
        NetworkArgs(
            compartment_id=config.compartment_id,
            cluster_name=name,
            vcn_cidr=config.vcn_cidr,
            bastion_cidr=str(plan["bastion"]),
            nodes_cidr=str(plan["nodes"]),
            storage_cidr=str(plan["storage"]) if with_fs else None,
            admin_cidrs=config.admin_cidrs,
            tags=tags,
        ),
    )
    bastion = Bastion(
        f"{name}-bastion",
        BastionArgs(
            compartment_id=config.compartment_id,
            availability_domain=ad,
            subnet_id=network.bastion_subnet.id,
            nsg_id=network.bastion_nsg.id,
            image_id=config.bastion.image_id,
            shape=config.bastion.shape,
            ocpus=config.bastion.ocpus,
            memory_gb=config.bastion.memory_gb,
            ssh_public_key=config.ssh_public_key,
            tags=tags,
        ),
    )

    storage = None
    if with_fs or config.storage.bucket is not None:
        storage = Storage(
            f"{name}-storage",
            StorageArgs(
                compartment_id=config.compartment_id,
                availability_domain=ad,
                subnet_id=network.storage_subnet.id if network.storage_subnet else None,
                nsg_id=network.storage_nsg.id if network.storage_nsg else None,
                clients_cidr=str(plan["nodes"]),
                export_path=file_system.export_path if file_system else None,
                bucket_name=config.storage.bucket.name if config.storage.bucket else None,
                protect=config.protect_pools,
                tags=tags,
            ),
        )

    extra_metadata: dict[str, pulumi.Input[str]] = {}
    if storage is not None and storage.mount_target_ip is not None:
        # The node's shared_fs step reads the mount target address from instance metadata.
        from bootstrap.render.steps.shared_fs import FSS_METADATA_KEY

        extra_metadata[FSS_METADATA_KEY] = storage.mount_target_ip
    pools_out: dict[str, Any] = {}
    for pool in config.pools:
        component = GpuPool(
            f"{name}-{pool.name}",
            GpuPoolArgs(
                compartment_id=config.compartment_id,
                availability_domain=ad,
                subnet_id=network.nodes_subnet.id,
                nsg_id=network.nodes_nsg.id,
                pool_name=pool.name,
                shape=pool.shape,
                nodes=pool.launched,
                image_id=pool.image_id,
                boot_volume_gb=pool.boot_volume_gb,
                boot_volume_vpus_per_gb=pool.spec.boot_volume_vpus_per_gb,
                mode=pool.mode,
                ssh_public_key=config.ssh_public_key,
                user_data_b64=(user_data or {}).get(pool.name),
                extra_metadata=extra_metadata,
                gpu_memory_fabric_ids=pool.gpu_memory_fabric_ids,
                max_nodes_per_cluster_network=pool.max_nodes_per_cluster_network,
                hpc_island_id=pool.hpc_island_id,
                network_block_ids=pool.network_block_ids,
                replace_nodes=dict(pool.replace_nodes),
                protect=config.protect_pools,
                tags={**tags, "gpufleet-pool": pool.name},
            ),
        )
        pools_out[pool.name] = {
            "id": component.id_output,
            "shape": pool.shape,
            "mode": pool.mode,
            "nodes_requested": pool.nodes,
            "spares": pool.spares,
            "gpu_power_cap_w": pool.gpu_power_cap_w,
            # the image's default user: Canonical images use "ubuntu", Oracle Linux "opc"
            "ssh_user": "ubuntu" if pool.os.startswith("ubuntu") else "opc",
            "nodes": _pool_nodes(component, config, network.nodes_subnet.id, ad),
        }

    if config.slurm.enabled:
        pulumi.export("slurm", _slurm_controller(config, network, bastion, ad))

    # `gpufleet inventory --from-stack-output` reads exactly these keys.
    pulumi.export("bastion_public_ip", bastion.public_ip)
    pulumi.export("ssh_user", config.bastion.user)
    pulumi.export("pools", pools_out)
    pulumi.export("capacity", summarize(config).to_dict())
    if storage is not None and storage.mount_target_ip is not None:
        pulumi.export(
            "shared_fs",
            {
                "mount_target_ip": storage.mount_target_ip,
                "export_path": config.storage.file_system.export_path
                if config.storage.file_system
                else None,
            },
        )


def _slurm_controller(config: StackConfig, network: Any, bastion: Any, ad: Any) -> dict[str, Any]:
    """The Slurm controller (and backup) in the node subnet; its stack output."""
    from bootstrap.slurm.conf import controllers
    from infra.components.slurm_controller import SlurmController, SlurmControllerArgs

    s = config.slurm
    password = None
    if s.accounting.database == "oci_mysql":
        # A Pulumi secret (`pulumi config set --secret gpufleet-secrets:slurm_db_admin_password`):
        # masked in plan output, encrypted in state, never in the typed gpufleet: config.
        password = pulumi.Config("gpufleet-secrets").get_secret("slurm_db_admin_password")
        if password is None:
            if not pulumi.runtime.is_dry_run():
                raise ConfigError(
                    [
                        Problem(
                            "gpufleet-secrets:slurm_db_admin_password",
                            "(missing)",
                            "accounting.database oci_mysql needs the DB system's admin password",
                            "pulumi config set --secret gpufleet-secrets:slurm_db_admin_password",
                        )
                    ]
                )
            pulumi.log.warn("gpufleet-secrets:slurm_db_admin_password is not set: `up` will stop")
            password = pulumi.Output.secret("unset-in-preview")
    ctl = SlurmController(
        f"{config.cluster_name}-slurm",
        SlurmControllerArgs(
            compartment_id=config.compartment_id,
            availability_domain=ad,
            vcn_id=network.vcn.id,
            subnet_id=network.nodes_subnet.id,
            bastion_nsg_id=network.bastion_nsg.id,
            nodes_nsg_id=network.nodes_nsg.id,
            hostnames=tuple(c.name for c in controllers(config)),
            image_id=s.controller.image_id or config.bastion.image_id,
            shape=s.controller.shape,
            ocpus=s.controller.ocpus,
            memory_gb=s.controller.memory_gb,
            boot_volume_gb=s.controller.boot_volume_gb,
            ssh_public_key=config.ssh_public_key,
            srun_ports=(s.srun_port_first, s.srun_port_last),
            database=s.accounting.database,
            mysql_shape=s.accounting.mysql_shape,
            mysql_storage_gb=s.accounting.mysql_storage_gb,
            mysql_admin_password=password,
            protect=config.protect_pools,
            tags=config.cluster_tags,
        ),
    )
    return {
        "version": s.version,
        "controllers": [
            {"name": c.name, "private_ip": ip}
            for c, ip in zip(controllers(config), ctl.private_ips, strict=True)
        ],
        "database": s.accounting.database,
    }


def first_boot_user_data(config: StackConfig) -> dict[str, str]:
    """Pool -> base64 cloud-init that bootstraps the node at first boot (no SSH needed).

    Every pool gets one: config validation refuses shapes the bootstrap cannot serve (AMD), so
    a pool that still cannot be rendered, or a cloud-init over OCI's 32,000-byte metadata cap,
    fails the run before anything is declared (`RenderError`), never a node launched bare.
    """
    from bootstrap.render import engine

    return {pool.name: engine.pool_user_data(config, pool) for pool in config.pools}


def main() -> None:
    """Entry point under the engine: validate everything first, then declare."""
    from bootstrap.render.errors import RenderError

    try:
        config = from_pulumi_config(pulumi.runtime.config.CONFIG.get())
        user_data = first_boot_user_data(config)
    except ConfigError as exc:
        # Nothing has been registered yet: fail the update with every problem listed.
        raise pulumi.RunError(exc.render()) from None
    except RenderError as exc:  # UserDataTooLarge among them
        raise pulumi.RunError(str(exc)) from None
    build(config, user_data)
