"""Physical placement of a bare-metal host from IMDS ``/opc/v2/host`` (fact `HostTopology`).

Keys (recorded fixture ``imds_v2_host.json``; facts/oci.md §5.4): ``buildingId``, ``id``,
``networkBlockId``, ``rackId`` (64-hex hashes) and, with a capacity topology,
``rdmaTopologyData{customerHPCIslandId, customerHostId, customerLocalBlock,
customerNetworkBlock[, customerGpuMemoryFabric]}``. Absent keys are None. Example::

    {"host_id": "c108…", "rack_id": "8d93…", "network_block_id": "922f…", "building_id":
     "building:1725…", "hpc_island_id": null, "local_block_id": null, "network_block": null,
     "customer_host_id": null, "gpu_memory_fabric_id": null}
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.facts.base import Fact, load_json, opt_str, req_str
from bootstrap.facts.errors import FactParseError

KIND = "imds-host"
# IMDS v2 requires this header (docs.oracle.com "Getting Instance Metadata").
COMMAND = (
    "timeout 10 curl -sSf --max-time 5 -H 'Authorization: Bearer Oracle' "
    "http://169.254.169.254/opc/v2/host"
)


@dataclass(frozen=True)
class HostTopology(Fact):
    host_id: str
    rack_id: str
    network_block_id: str | None
    building_id: str | None
    hpc_island_id: str | None
    local_block_id: str | None
    network_block: str | None  # rdmaTopologyData.customerNetworkBlock (an OCID)
    customer_host_id: str | None
    gpu_memory_fabric_id: str | None


def parse(text: str) -> HostTopology:
    data = load_json(KIND, text)
    if not isinstance(data, dict):
        raise FactParseError(KIND, "expected a JSON object")
    rdma = data.get("rdmaTopologyData") or {}
    if not isinstance(rdma, dict):
        raise FactParseError(KIND, "'rdmaTopologyData' is not an object")
    return HostTopology(
        host_id=req_str(KIND, data, "id"),
        rack_id=req_str(KIND, data, "rackId"),
        network_block_id=opt_str(KIND, data, "networkBlockId"),
        building_id=opt_str(KIND, data, "buildingId"),
        hpc_island_id=opt_str(KIND, rdma, "customerHPCIslandId"),
        local_block_id=opt_str(KIND, rdma, "customerLocalBlock"),
        network_block=opt_str(KIND, rdma, "customerNetworkBlock"),
        customer_host_id=opt_str(KIND, rdma, "customerHostId"),
        gpu_memory_fabric_id=opt_str(KIND, rdma, "customerGpuMemoryFabric"),
    )
