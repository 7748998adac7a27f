"""RDMA port rate and GID table from ``ibv_devinfo -v``: each of the shape's mlx5 devices has an
active port at the catalog's ``rdma_gbps_each`` (DRHPC level-1: H100 RDMA link speed 200G), and
the GID index NCCL uses (NCCL_IB_GID_INDEX, 3 on OCI: the RoCE v2 IPv4-mapped GID; DRHPC
test_limits GID indices {0,1,2,3}; facts/oci.md §5.1)."""

from __future__ import annotations

from bootstrap.facts.rdma_ports import RdmaDevice, RdmaPort, RdmaPorts
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

DEFAULT_GID_INDEX = 3  # OCI RoCE v2 IPv4-mapped GID (NCCLCONF NCCL_IB_GID_INDEX=3)
MISSING = (
    "check `ibv_devinfo -d {dev}` and `dmesg | grep mlx5`; reboot; a device that stays missing "
    "is a NIC fault: quarantine the node and replace it"
)


def applies(shape: Shape) -> bool:
    return bool(shape.rdma_devices)


def gid_index(shape: Shape) -> int:
    if shape.nccl is not None and shape.nccl.gid_index is not None:
        return shape.nccl.gid_index
    return DEFAULT_GID_INDEX


def _port(device: RdmaDevice) -> RdmaPort:
    return device.ports[0]  # OCI RDMA NICs expose one port per mlx5 device


def _missing(check: str, dev: str) -> Finding:
    return error(f"{check}:{dev}", f"RDMA device {dev} not listed by ibv_devinfo",
                 MISSING.format(dev=dev))  # fmt: skip


def check_speed(facts: NodeFacts, shape: Shape) -> list[Finding]:
    if shape.rdma_gbps_each is None:
        return []
    devices = facts.need("ibv-devinfo", RdmaPorts).by_device()
    out: list[Finding] = []
    for dev in shape.rdma_devices:
        if dev not in devices:
            out.append(_missing("rdma-speed", dev))
            continue
        port = _port(devices[dev])
        if not port.active:
            problem = f"port {port.port} is {port.state}, not PORT_ACTIVE"
        elif port.gbps is None or port.gbps < shape.rdma_gbps_each:
            rate = "unknown" if port.gbps is None else f"{port.gbps:g} Gb/s"
            problem = (
                f"runs at {rate} ({port.width}X x {port.lane_gbps} Gbps), "
                f"{shape.name} ports run at {shape.rdma_gbps_each} Gb/s"
            )
        else:
            continue
        out.append(
            error(
                f"rdma-speed:{dev}",
                f"RDMA device {dev} {problem}",
                f"inspect with `sudo mlxlink -d {dev} -m -c -e` (speed, cable, BER); a port that "
                "does not train to full rate after a reboot is a cable/NIC fault: quarantine the "
                "node and replace it",
            )
        )
    return out


def check_gid(facts: NodeFacts, shape: Shape) -> list[Finding]:
    index = gid_index(shape)
    devices = facts.need("ibv-devinfo", RdmaPorts).by_device()
    out: list[Finding] = []
    for dev in shape.rdma_devices:
        if dev not in devices:
            out.append(_missing("rdma-gid", dev))
            continue
        gid = _port(devices[dev]).gid(index)
        if gid is None:
            problem = f"has no GID index {index}"
        elif gid.type not in (None, "RoCE v2") or not gid.ipv4_mapped:
            problem = f"GID index {index} is {gid.gid} ({gid.type}), not a RoCE v2 IPv4 GID"
        else:
            continue
        out.append(
            error(
                f"rdma-gid:{dev}",
                f"RDMA device {dev} {problem}: NCCL (NCCL_IB_GID_INDEX={index}) cannot use it",
                "the GID appears once the port's netdev has its IPv4 address: check the "
                "rdma-address and oca-rdma findings and `ibv_devinfo -v -d "
                f"{dev} | grep GID`; restart oracle-cloud-agent if the address is missing",
            )
        )
    return out
