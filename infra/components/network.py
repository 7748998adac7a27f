"""Network: VCN, gateways, route tables, subnets and NSGs for one GPU cluster.

Only the bastion subnet is public. SSH reaches the bastion only from `admin_cidrs`, and nodes
only from the bastion's NSG. Nodes talk to each other freely (NCCL bootstrap, MPI, Slurm) and to
the storage mount target over NFS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_oci.core as core

# OCI File Storage NFS ports: TCP 111, 2048-2050 and UDP 111, 2048
# (docs.oracle.com/iaas/Content/File/Tasks/securitylistsfilestorage.htm).
NFS_TCP_PORTS = ((111, 111), (2048, 2050))
NFS_UDP_PORTS = ((111, 111), (2048, 2048))
TCP, UDP, ICMP, ALL = "6", "17", "1", "all"  # protocol numbers as the OCI API takes them


@dataclass(frozen=True)
class NetworkArgs:
    compartment_id: str
    cluster_name: str
    vcn_cidr: str
    bastion_cidr: str
    nodes_cidr: str
    storage_cidr: str | None  # None: no storage subnet
    admin_cidrs: tuple[str, ...]
    tags: dict[str, str] = field(default_factory=dict)


def dns_label(text: str) -> str:
    """OCI DNS labels: letters and digits, starting with a letter, at most 15 characters."""
    label = re.sub(r"[^a-z0-9]", "", text.lower())
    return (label if label[:1].isalpha() else "n" + label)[:15]


class Network(pulumi.ComponentResource):
    vcn: core.Vcn
    bastion_subnet: core.Subnet
    nodes_subnet: core.Subnet
    storage_subnet: core.Subnet | None

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpufleet:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cid, tags = args.compartment_id, args.tags

        self.vcn = core.Vcn(
            f"{name}-vcn",
            core.VcnArgs(
                cidr_blocks=[args.vcn_cidr],
                display_name=f"{name}-vcn",
                dns_label=dns_label(args.cluster_name),
                compartment_id=cid,
                freeform_tags=tags,
            ),
            opts=child,
        )
        vcn_id = self.vcn.id
        igw = core.InternetGateway(
            f"{name}-igw",
            core.InternetGatewayArgs(
                display_name=f"{name}-igw",
                enabled=True,
                compartment_id=cid,
                vcn_id=vcn_id,
                freeform_tags=tags,
            ),
            opts=child,
        )
        nat = core.NatGateway(
            f"{name}-nat",
            core.NatGatewayArgs(
                display_name=f"{name}-nat", compartment_id=cid, vcn_id=vcn_id, freeform_tags=tags
            ),
            opts=child,
        )
        # "All <region> Services In Oracle Services Network": Object Storage, OCIR, yum/apt
        # mirrors, the OCA plugin endpoints, without going through the NAT gateway.
        services = core.get_services_output(
            filters=[
                core.GetServicesFilterArgs(
                    name="name", values=["All .* Services In Oracle Services Network"], regex=True
                )
            ]
        )
        all_services = services.services.apply(lambda s: s[0])
        sgw = core.ServiceGateway(
            f"{name}-sgw",
            core.ServiceGatewayArgs(
                display_name=f"{name}-sgw",
                services=[core.ServiceGatewayServiceArgs(service_id=all_services.id)],
                compartment_id=cid,
                vcn_id=vcn_id,
                freeform_tags=tags,
            ),
            opts=child,
        )
        public_rt = core.RouteTable(
            f"{name}-public-rt",
            core.RouteTableArgs(
                display_name=f"{name}-public-rt",
                route_rules=[
                    core.RouteTableRouteRuleArgs(
                        network_entity_id=igw.id,
                        destination="0.0.0.0/0",
                        destination_type="CIDR_BLOCK",
                    )
                ],
                compartment_id=cid,
                vcn_id=vcn_id,
                freeform_tags=tags,
            ),
            opts=child,
        )
        private_rt = core.RouteTable(
            f"{name}-private-rt",
            core.RouteTableArgs(
                display_name=f"{name}-private-rt",
                route_rules=[
                    core.RouteTableRouteRuleArgs(
                        network_entity_id=nat.id,
                        destination="0.0.0.0/0",
                        destination_type="CIDR_BLOCK",
                    ),
                    core.RouteTableRouteRuleArgs(
                        network_entity_id=sgw.id,
                        destination=all_services.cidr_block,
                        destination_type="SERVICE_CIDR_BLOCK",
                    ),
                ],
                compartment_id=cid,
                vcn_id=vcn_id,
                freeform_tags=tags,
            ),
            opts=child,
        )
        # Subnets get this list instead of the VCN's default one, whose stock rules admit SSH
        # from 0.0.0.0/0: all admission is done by the NSGs below. Egress is open (package
        # mirrors via NAT/SGW) and ICMP 3/4 keeps path-MTU discovery working (oci-hpc does the
        # same in its private security list).
        base_sl = core.SecurityList(
            f"{name}-base-sl",
            core.SecurityListArgs(
                display_name=f"{name}-base-sl",
                egress_security_rules=[
                    core.SecurityListEgressSecurityRuleArgs(
                        protocol=ALL, destination="0.0.0.0/0", description="all egress"
                    )
                ],
                ingress_security_rules=[
                    core.SecurityListIngressSecurityRuleArgs(
                        protocol=ICMP,
                        source="0.0.0.0/0",
                        description="path MTU discovery",
                        icmp_options=core.SecurityListIngressSecurityRuleIcmpOptionsArgs(
                            type=3, code=4
                        ),
                    )
                ],
                compartment_id=cid,
                vcn_id=vcn_id,
                freeform_tags=tags,
            ),
            opts=child,
        )

        def subnet(role: str, cidr: str, route_table: core.RouteTable, public: bool) -> core.Subnet:
            return core.Subnet(
                f"{name}-{role}-subnet",
                core.SubnetArgs(
                    cidr_block=cidr,
                    display_name=f"{name}-{role}-subnet",
                    dns_label=dns_label(role),
                    route_table_id=route_table.id,
                    security_list_ids=[base_sl.id],
                    # Only the bastion subnet may hold public IPs or accept internet ingress.
                    prohibit_public_ip_on_vnic=not public,
                    prohibit_internet_ingress=not public,
                    compartment_id=cid,
                    vcn_id=vcn_id,
                    freeform_tags=tags,
                ),
                opts=child,
            )

        self.bastion_subnet = subnet("bastion", args.bastion_cidr, public_rt, public=True)
        self.nodes_subnet = subnet("nodes", args.nodes_cidr, private_rt, public=False)
        self.storage_subnet = (
            subnet("storage", args.storage_cidr, private_rt, public=False)
            if args.storage_cidr
            else None
        )

        def nsg(role: str) -> core.NetworkSecurityGroup:
            return core.NetworkSecurityGroup(
                f"{name}-{role}-nsg",
                core.NetworkSecurityGroupArgs(
                    display_name=f"{name}-{role}-nsg",
                    compartment_id=cid,
                    vcn_id=vcn_id,
                    freeform_tags=tags,
                ),
                opts=child,
            )

        self.bastion_nsg = nsg("bastion")
        self.nodes_nsg = nsg("nodes")
        self.storage_nsg = nsg("storage") if self.storage_subnet is not None else None

        def rule(
            rule_name: str, group: core.NetworkSecurityGroup, **kw: object
        ) -> core.NetworkSecurityGroupSecurityRule:
            return core.NetworkSecurityGroupSecurityRule(
                f"{name}-{rule_name}",
                core.NetworkSecurityGroupSecurityRuleArgs(network_security_group_id=group.id, **kw),  # type: ignore[arg-type]
                opts=child,
            )

        def tcp(lo: int, hi: int) -> core.NetworkSecurityGroupSecurityRuleTcpOptionsArgs:
            return core.NetworkSecurityGroupSecurityRuleTcpOptionsArgs(
                destination_port_range=core.NetworkSecurityGroupSecurityRuleTcpOptionsDestinationPortRangeArgs(
                    min=lo, max=hi
                )
            )

        def udp(lo: int, hi: int) -> core.NetworkSecurityGroupSecurityRuleUdpOptionsArgs:
            return core.NetworkSecurityGroupSecurityRuleUdpOptionsArgs(
                destination_port_range=core.NetworkSecurityGroupSecurityRuleUdpOptionsDestinationPortRangeArgs(
                    min=lo, max=hi
                )
            )

        for i, cidr in enumerate(args.admin_cidrs):
            rule(
                f"bastion-ssh-admin-{i}",
                self.bastion_nsg,
                direction="INGRESS",
                protocol=TCP,
                source=cidr,
                source_type="CIDR_BLOCK",
                tcp_options=tcp(22, 22),
                description=f"SSH to the bastion from admin range {cidr}",
            )
        rule(
            "nodes-ssh-from-bastion",
            self.nodes_nsg,
            direction="INGRESS",
            protocol=TCP,
            source=self.bastion_nsg.id,
            source_type="NETWORK_SECURITY_GROUP",
            tcp_options=tcp(22, 22),
            description="SSH to nodes only via the bastion",
        )
        rule(
            "nodes-all-from-nodes",
            self.nodes_nsg,
            direction="INGRESS",
            protocol=ALL,
            source=self.nodes_nsg.id,
            source_type="NETWORK_SECURITY_GROUP",
            description="all traffic between GPU nodes (NCCL bootstrap, MPI, scheduler)",
        )
        egress_groups = [("bastion", self.bastion_nsg), ("nodes", self.nodes_nsg)]
        if self.storage_nsg is not None:
            for lo, hi in NFS_TCP_PORTS:
                rule(
                    f"storage-nfs-tcp-{lo}",
                    self.storage_nsg,
                    direction="INGRESS",
                    protocol=TCP,
                    source=self.nodes_nsg.id,
                    source_type="NETWORK_SECURITY_GROUP",
                    tcp_options=tcp(lo, hi),
                    description="NFS from GPU nodes to the mount target",
                )
            for lo, hi in NFS_UDP_PORTS:
                rule(
                    f"storage-nfs-udp-{lo}",
                    self.storage_nsg,
                    direction="INGRESS",
                    protocol=UDP,
                    source=self.nodes_nsg.id,
                    source_type="NETWORK_SECURITY_GROUP",
                    udp_options=udp(lo, hi),
                    description="NFS from GPU nodes to the mount target",
                )
            egress_groups.append(("storage", self.storage_nsg))
        for role, group in egress_groups:
            rule(
                f"{role}-egress",
                group,
                direction="EGRESS",
                protocol=ALL,
                destination="0.0.0.0/0",
                destination_type="CIDR_BLOCK",
                description="all egress",
            )

        self.register_outputs(
            {
                "vcn_id": self.vcn.id,
                "nodes_subnet_id": self.nodes_subnet.id,
                "bastion_subnet_id": self.bastion_subnet.id,
            }
        )
