"""KIND → (command, parser): the one table of node facts.

``COMMAND`` is what the runner executes on a node (always under ``timeout``); the parser is pure
and raises only `FactParseError`. Example::

    >>> from bootstrap.facts.registry import FACTS
    >>> FACTS["ibdev2netdev"].command
    'timeout 10 ibdev2netdev'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bootstrap.facts import (
    dot1x,
    fabric_manager,
    gpu_power,
    gpus,
    gpus_table,
    gpus_xml,
    host_topology,
    imex,
    instance_metadata,
    mounts,
    nccl_tests,
    node_report,
    nvlink,
    oca_rdma,
    oca_version,
    rdma_addresses,
    rdma_links,
    rdma_ports,
    xid,
)
from bootstrap.facts.base import Fact


@dataclass(frozen=True)
class FactKind:
    name: str
    command: str
    parse: Callable[[str], Fact]
    summary: str


FACTS: dict[str, FactKind] = {
    kind.name: kind
    for kind in (
        FactKind("nvidia-smi", gpus.TABLE_COMMAND, gpus_table.parse_table, "GPU table"),
        FactKind("nvidia-smi-xml", gpus.COMMAND, gpus_xml.parse_xml, "GPU details (XML)"),
        FactKind("ibdev2netdev", rdma_links.COMMAND, rdma_links.parse, "RDMA link states"),
        FactKind("ip-addr", rdma_addresses.COMMAND, rdma_addresses.parse, "IPv4/MTU (ip -j)"),
        FactKind(
            "ifconfig",
            rdma_addresses.IFCONFIG_COMMAND,
            rdma_addresses.parse_ifconfig,
            "IPv4/MTU (ifconfig)",
        ),
        FactKind("wpa-cli", dot1x.COMMAND, dot1x.parse, "802.1X state of one port"),
        FactKind("imds-host", host_topology.COMMAND, host_topology.parse, "rack/blocks/island"),
        FactKind(
            "imds-instance", instance_metadata.COMMAND, instance_metadata.parse, "shape, tags"
        ),
        FactKind("nccl-tests", nccl_tests.COMMAND, nccl_tests.parse, "all_reduce_perf result"),
        FactKind("oca-rdma", oca_rdma.COMMAND, oca_rdma.parse, "OCA RDMA plugin state"),
        FactKind("xid", xid.COMMAND, xid.parse, "NVRM Xid events"),
        FactKind("mounts", mounts.COMMAND, mounts.parse, "mounted filesystems"),
        FactKind("fabric-manager", fabric_manager.COMMAND, fabric_manager.parse, "NVSwitch fabric"),
        FactKind("nvlink", nvlink.COMMAND, nvlink.parse, "NVLink speed per GPU link"),
        FactKind("ibv-devinfo", rdma_ports.COMMAND, rdma_ports.parse, "RDMA port speed, GIDs"),
        FactKind("oca-version", oca_version.COMMAND, oca_version.parse, "Oracle Cloud Agent"),
        FactKind("gpu-power", gpu_power.COMMAND, gpu_power.parse, "GPU power limits"),
        FactKind("imex", imex.COMMAND, imex.parse, "IMEX daemon state (GB200)"),
        FactKind("node-report", node_report.COMMAND, node_report.parse, "the node timer's verdict"),
    )
}
