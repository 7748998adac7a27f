"""RDMA (cluster network) ports: each of the shape's mlx5 devices present and Up
(``ibdev2netdev``), its netdev with an IPv4 address and the shape's MTU (``ip -j addr``, or
``ifconfig`` when that is what was gathered). oci-hpc check_gpu_setup.py: link state Active,
"every RDMA netdev has an IP"; MTU 4220 from oci-hpc-oke shapes.json (facts/oci.md §3.3, §5.1)."""

from __future__ import annotations

from bootstrap.facts.rdma_addresses import InterfaceAddresses
from bootstrap.facts.rdma_links import RdmaLinks
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import FactUnavailable, NodeFacts
from infra.shapes import Shape

ADDRESS_KEYS = ("ip-addr", "ifconfig")


def applies(shape: Shape) -> bool:
    return bool(shape.rdma_devices)


def rdma_netdevs(facts: NodeFacts, shape: Shape) -> dict[str, str]:
    """Shape's RDMA device -> its netdev, for the devices ibdev2netdev shows."""
    links = facts.need("ibdev2netdev", RdmaLinks).by_device()
    return {dev: links[dev].netdev for dev in shape.rdma_devices if dev in links}


def check_links(facts: NodeFacts, shape: Shape) -> list[Finding]:
    links = facts.need("ibdev2netdev", RdmaLinks).by_device()
    out: list[Finding] = []
    for dev in shape.rdma_devices:
        link = links.get(dev)
        if link is None:
            out.append(
                error(
                    f"rdma-link:{dev}",
                    f"RDMA device {dev} missing ({shape.name} has {len(shape.rdma_devices)})",
                    "check `ibdev2netdev` and `dmesg | grep mlx5`; reboot; if the device stays "
                    "missing, quarantine and replace the node",
                )
            )
        elif not link.up:
            out.append(
                error(
                    f"rdma-link:{dev}",
                    f"RDMA link {dev} ({link.netdev}) is {link.state}",
                    f"inspect with `sudo mlxlink -d {dev} -m -c -e`; a link that stays Down "
                    "after a reboot is a cable/NIC fault: quarantine and replace the node",
                )
            )
    return out


def _addresses(facts: NodeFacts) -> InterfaceAddresses:
    key = next((k for k in ADDRESS_KEYS if facts.has(k)), ADDRESS_KEYS[0])
    return facts.need(key, InterfaceAddresses)


def check_addresses(facts: NodeFacts, shape: Shape) -> list[Finding]:
    netdevs = rdma_netdevs(facts, shape)
    interfaces = _addresses(facts).by_name()
    out: list[Finding] = []
    for dev, netdev in netdevs.items():
        iface = interfaces.get(netdev)
        if iface is None or not iface.ipv4:
            out.append(
                error(
                    f"rdma-address:{netdev}",
                    f"RDMA netdev {netdev} ({dev}) has no IPv4 address",
                    "the OCA 'Compute HPC RDMA Auto-Configuration' plugin assigns it: check the "
                    "oca-rdma finding and `sudo systemctl status oracle-cloud-agent`, then wait",
                )
            )
    return out


def check_mtu(facts: NodeFacts, shape: Shape) -> list[Finding]:
    if shape.rdma_mtu is None:
        return []
    netdevs = rdma_netdevs(facts, shape)
    interfaces = _addresses(facts).by_name()
    out: list[Finding] = []
    for dev, netdev in netdevs.items():
        iface = interfaces.get(netdev)
        if iface is None:
            raise FactUnavailable(ADDRESS_KEYS[0], f"interface {netdev} ({dev}) not listed")
        if iface.mtu != shape.rdma_mtu:
            out.append(
                error(
                    f"rdma-mtu:{netdev}",
                    f"RDMA netdev {netdev} ({dev}) MTU is {iface.mtu}, expected {shape.rdma_mtu}",
                    f"`sudo ip link set dev {netdev} mtu {shape.rdma_mtu}` and persist it in the "
                    "RDMA interface config the OCA plugin writes",
                )
            )
    return out
