"""HostTopology from the recorded IMDS /opc/v2/host."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.host_topology import parse


def test_host_recorded(fixture_text):
    topo = parse(fixture_text("imds_v2_host.json"))
    assert topo.rack_id == "8d93acc296b77c923d0778079061b64094d55b3fbe4eb54460655e916cddf34a"
    assert topo.host_id.startswith("c108fca4") and topo.network_block_id.startswith("922fd61a")
    assert topo.building_id.startswith("building:1725b321")
    assert topo.hpc_island_id is None and topo.local_block_id is None  # no rdmaTopologyData


def test_host_with_rdma_topology(case_text):
    topo = parse(case_text("imds_host_with_rdma_topology.json"))
    assert topo.hpc_island_id == "ocid1.hpcisland.oc1.iad.example"
    assert topo.local_block_id == "ocid1.computelocalblock.oc1.iad.example"
    assert topo.network_block == "ocid1.computenetworkblock.oc1.iad.example"
    assert topo.gpu_memory_fabric_id is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("[]", "object"),
        ('{"id": "x"}', "rackId"),
        ('{"id": "x", "rackId": 7}', "expected string"),
        ('{"id": "x", "rackId": "r", "rdmaTopologyData": "no"}', "rdmaTopologyData"),
        ("<html>502 Bad Gateway</html>", "JSON"),
    ],
)
def test_bad_input(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)


def test_truncated(case_text):
    with pytest.raises(FactParseError, match="JSON"):
        parse(case_text("imds_host_truncated_half.json"))
