"""Bastion: a small VM, the cluster's only public SSH entry point (a jump host)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pulumi
import pulumi_oci.core as core

# First-boot hardening: keys only, no root login, TCP forwarding on (ssh -J / direct-tcpip is
# how gpufleet reaches every node), enough concurrent unauthenticated connections for fan-out.
SSHD_DROPIN = """\
#cloud-config
write_files:
  - path: /etc/ssh/sshd_config.d/50-gpufleet-bastion.conf
    permissions: "0644"
    content: |
      PasswordAuthentication no
      KbdInteractiveAuthentication no
      PermitRootLogin no
      AllowTcpForwarding yes
      MaxStartups 200:30:400
      MaxSessions 100
runcmd:
  - [systemctl, reload, sshd]
"""


@dataclass(frozen=True)
class BastionArgs:
    compartment_id: str
    availability_domain: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    nsg_id: pulumi.Input[str]
    image_id: str
    shape: str
    ocpus: int
    memory_gb: int
    ssh_public_key: str
    tags: dict[str, str] = field(default_factory=dict)


class Bastion(pulumi.ComponentResource):
    instance: core.Instance

    def __init__(
        self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpufleet:bastion:Bastion", name, None, opts)
        self.instance = core.Instance(
            f"{name}-vm",
            core.InstanceArgs(
                compartment_id=args.compartment_id,
                availability_domain=args.availability_domain,
                display_name=f"{name}-vm",
                shape=args.shape,
                shape_config=core.InstanceShapeConfigArgs(
                    ocpus=args.ocpus, memory_in_gbs=args.memory_gb
                ),
                source_details=core.InstanceSourceDetailsArgs(
                    source_type="image", source_id=args.image_id
                ),
                create_vnic_details=core.InstanceCreateVnicDetailsArgs(
                    subnet_id=args.subnet_id,
                    assign_public_ip="true",
                    nsg_ids=[args.nsg_id],
                    hostname_label="bastion",
                ),
                metadata={
                    "ssh_authorized_keys": args.ssh_public_key,
                    "user_data": base64.b64encode(SSHD_DROPIN.encode()).decode(),
                },
                freeform_tags=args.tags,
            ),
            # Its hostname label is fixed and must be unique in the subnet, so a replacement
            # (a new SSH key or image replaces it: ForceNew) must delete the old VM first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.public_ip = self.instance.public_ip
        self.register_outputs(
            {"public_ip": self.instance.public_ip, "private_ip": self.instance.private_ip}
        )
