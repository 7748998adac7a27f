"""InterfaceAddresses from the recorded BM.GPU4.8 ifconfig, a recorded dev-VM `ip -j addr`, and a
hand-written RDMA-node `ip -j addr`."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.rdma_addresses import parse, parse_ifconfig

GPU48 = "ifconfig_rdma_interfaces_BM.GPU4.8_oci-rdma-configure.txt"


def test_gpu48_ifconfig_recorded(fixture_text):
    result = parse_ifconfig(fixture_text(GPU48)).by_name()
    assert len(result) == 18
    rdma = {name: i for name, i in result.items() if name not in ("enp45s0f0", "enp45s0f1")}
    assert len(rdma) == 16 and all(i.mtu == 4220 for i in rdma.values())
    assert sorted(i.ipv4[0].address for i in rdma.values()) == sorted(
        f"192.168.{n}.87" for n in range(16)
    )
    assert all(i.ipv4[0].prefix_len == 24 for i in rdma.values())
    assert result["enp45s0f0"].mtu == 9000 and result["enp45s0f0"].ipv4[0].address == "10.0.2.87"
    assert result["enp45s0f1"].ipv4 == () and "RUNNING" not in result["enp45s0f1"].flags


def test_ifconfig_port_without_ip(case_text):
    result = parse_ifconfig(case_text("ifconfig_GPU4.8_enp22s0f0_no_ip.txt")).by_name()
    assert result["enp22s0f0"].ipv4 == () and len(result["enp22s0f1"].ipv4) == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("ifconfig_GPU4.8_truncated_half.txt", "unrecognised"),
        ("nvidia_smi_H200_garbage_bytes.txt", "garbage"),
        ("empty.txt", "empty"),
    ],
)
def test_ifconfig_bad_input(case_text, case, reason):
    with pytest.raises(FactParseError, match=reason):
        parse_ifconfig(case_text(case))


def test_ip_json_recorded_dev_vm(case_text):
    result = parse(case_text("ip_j_addr_dev_vm_recorded.json")).by_name()
    assert result["lo"].ipv4[0].address == "127.0.0.1" and result["lo"].mtu == 65536
    assert result["eth0"].operstate == "UP" and result["eth0"].ipv4[0].prefix_len == 24
    assert result["ifb0"].ipv4 == ()


def test_ip_json_handwritten_rdma_node(case_text):
    result = parse(case_text("ip_j_addr_rdma_node_handwritten.json")).by_name()
    assert result["rdma0"].mtu == 4220 and result["rdma0"].ipv4[0].address == "10.224.0.10"
    assert result["rdma0"].ipv4[0].prefix_len == 12
    assert result["rdma1"].ipv4 == ()


def test_ip_json_truncated_and_wrong_shape(case_text):
    text = case_text("ip_j_addr_rdma_node_handwritten.json")
    with pytest.raises(FactParseError, match="JSON"):
        parse(text[: len(text) // 2])
    with pytest.raises(FactParseError, match="list"):
        parse('{"ifname": "eth0"}')
    with pytest.raises(FactParseError, match="IPv4"):
        parse('[{"ifname": "x", "addr_info": [{"family": "inet", "local": "300.1.1.1"}]}]')
