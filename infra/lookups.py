"""Provider lookups the program needs, kept tiny so they don't load whole pulumi_oci packages.

`pulumi_oci.identity` costs ~1.5 s to import (facts/pulumi.md 1.2) for one lookup, so the
availability-domain list is invoked by its token directly.
"""

from __future__ import annotations

from typing import Any

import pulumi

AD_TOKEN = "oci:Identity/getAvailabilityDomains:getAvailabilityDomains"


def availability_domain(compartment_id: str, ad: int | str) -> pulumi.Input[str]:
    """The AD name: as given, or the `ad`-th (1-based) AD of the tenancy's region."""
    if isinstance(ad, str):
        return ad
    result = pulumi.runtime.invoke_output(AD_TOKEN, {"compartmentId": compartment_id})

    def pick(res: dict[str, Any]) -> str:
        names = sorted(d["name"] for d in res.get("availabilityDomains") or [])
        if len(names) < ad:
            raise ValueError(
                f"gpufleet:availability_domain = {ad}: the region has only {len(names)} "
                f"availability domain(s); use 1..{len(names)} or the full AD name"
            )
        return names[ad - 1]

    return result.apply(pick)


def join_node_addresses(
    instances: list[dict[str, Any]],
    attachments: list[dict[str, Any]],
    private_ips: list[dict[str, Any]],
) -> list[dict[str, str]]:
    """Cluster-network instances -> [{name, id, private_ip}], sorted by name (pure).

    Three list lookups per pool instead of one per node: instances of the cluster network,
    VNIC attachments (instance -> VNIC) and the node subnet's private IPs (VNIC -> address).
    """
    vnic_of = {
        a["instance_id"]: a["vnic_id"] for a in attachments if a.get("state") in (None, "ATTACHED")
    }
    ip_of = {p["vnic_id"]: p["ip_address"] for p in private_ips if p.get("is_primary", True)}
    nodes = []
    for inst in instances:
        ip = ip_of.get(vnic_of.get(inst["id"], ""), "")
        nodes.append(
            {"name": inst.get("display_name") or inst["id"], "id": inst["id"], "private_ip": ip}
        )
    return sorted(nodes, key=lambda n: n["name"])
