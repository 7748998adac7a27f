"""Where a node sits in the RDMA fabric, from its `HostTopology` fact.

Levels, innermost first: local block (``rdmaTopologyData.customerLocalBlock``, falling back to
``rackId``), network block (``customerNetworkBlock``, falling back to ``networkBlockId``), HPC
island (``customerHPCIslandId``). The fallbacks are oci-hpc's ``node_ordering_by_rack.py``
(facts/oci.md §5.4): hosts launched without a capacity topology still group by rack. Example::

    >>> place("gpu-1", "10.0.0.5", topo).to_dict()
    {'node': 'gpu-1', 'host': '10.0.0.5', 'local_block': '8d93…', 'network_block': '922f…',
     'island': None}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bootstrap.facts.host_topology import HostTopology


@dataclass(frozen=True)
class Placement:
    node: str
    host: str
    local_block: str
    network_block: str | None
    island: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def place(node: str, host: str, topo: HostTopology) -> Placement:
    return Placement(
        node=node,
        host=host,
        local_block=topo.local_block_id or topo.rack_id,
        network_block=topo.network_block or topo.network_block_id,
        island=topo.hpc_island_id,
    )
