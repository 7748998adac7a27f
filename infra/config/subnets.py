"""Subnet plan: explicit CIDRs from config, or carved from the VCN (pure functions).

Default carve for a VCN of /22 or larger: bastion = first /24, storage = second /24,
nodes = upper half of the VCN (a /16 VCN gives the nodes a /17: 32,763 usable addresses).
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network

ROLES = ("bastion", "nodes", "storage")
# OCI reserves the first two and the last address of every subnet
# (docs.oracle.com/iaas/Content/Network/Tasks/Overview_of_VCNs_and_Subnets.htm).
OCI_RESERVED_PER_SUBNET = 3
MIN_CARVE_PREFIX = 22


def carve(vcn: IPv4Network) -> dict[str, IPv4Network]:
    """Default subnets for a VCN; raises ValueError if the VCN is too small to carve."""
    if vcn.prefixlen > MIN_CARVE_PREFIX:
        raise ValueError(f"VCN {vcn} is smaller than /{MIN_CARVE_PREFIX}")
    first_24s = vcn.subnets(new_prefix=24)
    bastion, storage = next(first_24s), next(first_24s)
    nodes = list(vcn.subnets(prefixlen_diff=1))[1]
    return {"bastion": bastion, "storage": storage, "nodes": nodes}


def usable_hosts(net: IPv4Network) -> int:
    return max(net.num_addresses - OCI_RESERVED_PER_SUBNET, 0)


def parse_cidr(text: object) -> IPv4Network | None:
    """A strict IPv4 network (host bits must be zero), or None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return None
