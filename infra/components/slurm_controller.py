"""Slurm controller: slurmctld (and an optional backup twin), slurmdbd and its database, in the
private node subnet, reachable by SSH only from the bastion.

Its own NSG admits exactly Slurm's ports: slurmctld 6817 from the nodes and the other
controller, slurmdbd 6819 from the nodes (sacct) and the controllers; on the nodes' NSG the
controllers may reach slurmd (6818) and the srun port range (allocation replies to srun on a
node). Ports: slurm.conf(5) SlurmctldPort/SlurmdPort defaults, slurmdbd.conf(5) DbdPort.
With ``database: oci_mysql`` an OCI MySQL DB system holds accounting; its admin password
comes from the secret config value ``gpufleet:slurm_db_admin_password`` (a Pulumi secret, so
never in plan output), never from the typed stack config.

No user data and no metadata beyond the SSH key: the munge key and the database password
reach the controller over SSH (`docs/slurm.md`, "Secrets").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_oci.core as core

SLURMCTLD_PORT = 6817
SLURMD_PORT = 6818
SLURMDBD_PORT = 6819
MYSQL_PORT = 3306
TCP = "6"


@dataclass(frozen=True)
class SlurmControllerArgs:
    compartment_id: str
    availability_domain: pulumi.Input[str]
    vcn_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    bastion_nsg_id: pulumi.Input[str]
    nodes_nsg_id: pulumi.Input[str]
    hostnames: tuple[str, ...]  # primary first; a second one is the backup controller
    image_id: str
    shape: str
    ocpus: int
    memory_gb: int
    boot_volume_gb: int
    ssh_public_key: str
    srun_ports: tuple[int, int]
    database: str = "mariadb"  # or "oci_mysql"
    mysql_shape: str = "MySQL.2"
    mysql_storage_gb: int = 50
    mysql_admin_password: pulumi.Input[str] | None = None  # a secret Output
    # The controller holds the accounting database (MariaDB) and slurmctld's state: guarded
    # like the pools (gpufleet:protect_pools).
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)


class SlurmController(pulumi.ComponentResource):
    """The controller VM(s), their NSG and Slurm-port rules, and the optional MySQL system."""

    def __init__(
        self, name: str, args: SlurmControllerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpufleet:slurm:SlurmController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Fixed hostname labels must be unique in the subnet, so a replacement (a new image is
        # ForceNew) deletes the old host first, as the bastion does.
        labelled = pulumi.ResourceOptions(
            parent=self, protect=args.protect, delete_before_replace=True
        )
        # The controller keeps slurmctld's state and the accounting database: an SSH key
        # rotation (instance metadata, ForceNew, read by cloud-init only at first boot) must not
        # rebuild it. Keys on a running controller are rotated over SSH (docs/day2.md).
        controller_opts = pulumi.ResourceOptions.merge(
            labelled, pulumi.ResourceOptions(ignore_changes=["metadata"])
        )
        self.nsg = core.NetworkSecurityGroup(
            f"{name}-nsg",
            core.NetworkSecurityGroupArgs(
                compartment_id=args.compartment_id,
                vcn_id=args.vcn_id,
                display_name=f"{name}-nsg",
                freeform_tags=args.tags,
            ),
            opts=child,
        )
        ctl, nodes = self.nsg.id, args.nodes_nsg_id
        ingress = [
            ("ctl-ssh-from-bastion", ctl, args.bastion_nsg_id, 22, 22, "SSH only via the bastion"),
            ("ctl-slurmctld-from-nodes", ctl, nodes, SLURMCTLD_PORT, SLURMCTLD_PORT,
             "slurmd, srun and sbatch on the nodes to slurmctld"),
            ("ctl-slurmctld-from-ctl", ctl, ctl, SLURMCTLD_PORT, SLURMCTLD_PORT,
             "primary and backup slurmctld"),
            ("ctl-slurmdbd-from-nodes", ctl, nodes, SLURMDBD_PORT, SLURMDBD_PORT,
             "sacct and sacctmgr on the nodes to slurmdbd"),
            ("ctl-slurmdbd-from-ctl", ctl, ctl, SLURMDBD_PORT, SLURMDBD_PORT,
             "slurmctld to slurmdbd"),
            ("nodes-slurmd-from-ctl", nodes, ctl, SLURMD_PORT, SLURMD_PORT,
             "slurmctld to slurmd"),
            ("nodes-srun-from-ctl", nodes, ctl, args.srun_ports[0], args.srun_ports[1],
             "slurmctld replies to srun on the nodes (SrunPortRange)"),
        ]  # fmt: skip
        if args.database == "oci_mysql":
            ingress.append(("ctl-mysql-from-ctl", ctl, ctl, MYSQL_PORT, MYSQL_PORT,
                            "slurmdbd to the MySQL DB system"))  # fmt: skip
        self.rules = [
            core.NetworkSecurityGroupSecurityRule(
                f"{name}-{rule}",
                core.NetworkSecurityGroupSecurityRuleArgs(
                    network_security_group_id=group,
                    direction="INGRESS",
                    protocol=TCP,
                    source=source,
                    source_type="NETWORK_SECURITY_GROUP",
                    tcp_options=core.NetworkSecurityGroupSecurityRuleTcpOptionsArgs(
                        destination_port_range=core.NetworkSecurityGroupSecurityRuleTcpOptionsDestinationPortRangeArgs(
                            min=lo, max=hi
                        )
                    ),
                    description=text,
                ),
                opts=child,
            )
            for rule, group, source, lo, hi, text in ingress
        ]
        self.rules.append(
            core.NetworkSecurityGroupSecurityRule(
                f"{name}-ctl-egress",
                core.NetworkSecurityGroupSecurityRuleArgs(
                    network_security_group_id=ctl,
                    direction="EGRESS",
                    protocol="all",
                    destination="0.0.0.0/0",
                    destination_type="CIDR_BLOCK",
                    description="all egress (packages through the NAT gateway)",
                ),
                opts=child,
            )
        )
        self.instances = [
            core.Instance(
                f"{name}-{i}",
                core.InstanceArgs(
                    compartment_id=args.compartment_id,
                    availability_domain=args.availability_domain,
                    display_name=host,
                    shape=args.shape,
                    shape_config=core.InstanceShapeConfigArgs(
                        ocpus=args.ocpus, memory_in_gbs=args.memory_gb
                    ),
                    source_details=core.InstanceSourceDetailsArgs(
                        source_type="image",
                        source_id=args.image_id,
                        boot_volume_size_in_gbs=str(args.boot_volume_gb),
                    ),
                    create_vnic_details=core.InstanceCreateVnicDetailsArgs(
                        subnet_id=args.subnet_id,
                        assign_public_ip="false",
                        nsg_ids=[ctl],
                        # slurmctld starts only where the hostname equals SlurmctldHost.
                        hostname_label=host,
                    ),
                    metadata={"ssh_authorized_keys": args.ssh_public_key},
                    freeform_tags={**args.tags, "gpufleet-role": "slurm-controller"},
                ),
                opts=controller_opts,
            )
            for i, host in enumerate(args.hostnames)
        ]
        self.database = None
        if args.database == "oci_mysql":
            import pulumi_oci.mysql as mysql

            self.database = mysql.MysqlDbSystem(
                f"{name}-db",
                mysql.MysqlDbSystemArgs(
                    compartment_id=args.compartment_id,
                    availability_domain=args.availability_domain,
                    shape_name=args.mysql_shape,
                    subnet_id=args.subnet_id,
                    nsg_ids=[ctl],
                    admin_username="slurmadmin",
                    admin_password=args.mysql_admin_password,
                    data_storage_size_in_gb=args.mysql_storage_gb,
                    display_name=f"{name}-db",
                    hostname_label=f"{args.hostnames[0]}-db",
                    freeform_tags=args.tags,
                ),
                opts=labelled,
            )
        self.private_ips = [i.private_ip for i in self.instances]
        self.register_outputs(
            {
                "hostnames": list(args.hostnames),
                "private_ips": self.private_ips,
                "database_ip": self.database.ip_address if self.database else None,
            }
        )
