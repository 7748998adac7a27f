"""RdmaPorts from hand-written `ibv_devinfo -v` samples (format from rdma-core's ibv_devinfo),
derived faults, truncation and garbage. A real verbose output (Soft-RoCE, published) is tested in
test_published_recordings.py; no ConnectX-7 recording from an OCI node exists here."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.rdma_ports import parse


def test_ports_speed_mtu_and_gids(case_text):
    ports = parse(case_text("ibv_devinfo_v_handwritten.txt"))
    assert [d.hca_id for d in ports.devices] == ["mlx5_0", "mlx5_1", "mlx5_2"]
    mlx5_0 = ports.by_device()["mlx5_0"]
    assert mlx5_0.fw_ver == "28.39.1002"
    [port] = mlx5_0.ports
    assert (port.port, port.state, port.active, port.active_mtu) == (1, "PORT_ACTIVE", True, 4096)
    assert (port.link_layer, port.width, port.lane_gbps, port.gbps) == ("Ethernet", 4, 50.0, 200.0)
    assert [g.index for g in port.gids] == [0, 1, 2, 3]
    gid3 = port.gid(3)
    assert gid3 is not None and gid3.gid == "::ffff:10.224.0.7" and gid3.type == "RoCE v2"
    assert gid3.ipv4_mapped and not port.gids[0].ipv4_mapped
    assert port.gid(4) is None
    assert ports.by_device()["mlx5_2"].ports[0].gbps == 100.0


def test_port_down_and_invalid_speed(case_text):
    text = case_text("ibv_devinfo_v_handwritten.txt")
    first = text.index("PORT_ACTIVE (4)")
    text = text[:first] + "PORT_DOWN (1)" + text[first + len("PORT_ACTIVE (4)") :]
    text = text.replace("50.0 Gbps (64)", "invalid speed (0)", 1)
    port = parse(text).devices[0].ports[0]
    assert (port.state, port.active, port.lane_gbps, port.gbps) == ("PORT_DOWN", False, None, None)


def test_missing_gid3_parses_without_it(case_text):
    text = case_text("ibv_devinfo_v_handwritten.txt")
    text = text.replace("\t\t\tGID[  3]:\t\t::ffff:10.224.0.7, RoCE v2\n", "")
    assert parse(text).devices[0].ports[0].gid(3) is None


def test_gid_lines_without_a_type_are_accepted():
    text = (
        "hca_id:\tmlx5_0\n\t\tport:\t1\n\t\t\tstate:\t\tPORT_ACTIVE (4)\n"
        "\t\t\tactive_mtu:\t4096 (5)\n\t\t\tlink_layer:\tEthernet\n"
        "\t\t\tactive_width:\t4X (2)\n\t\t\tactive_speed:\t25.0 Gbps (32)\n"
        "\t\t\tGID[  3]:\t\t0000:0000:0000:0000:0000:ffff:0ae0:0007\n"
    )
    gid = parse(text).devices[0].ports[0].gid(3)
    assert gid is not None and gid.type is None and gid.ipv4_mapped


@pytest.mark.parametrize(
    ("name", "reason"), [("ibv_devinfo_v_truncated_half.txt", "cut"), ("empty.txt", "empty")]
)
def test_bad_cases(case_text, name, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(name))


def _cut_at(text: str, marker: str, keep: int) -> str:
    at = text.index(marker)
    return text[: at + keep]


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda t: _cut_at(t, "GID[  3]", 25), "not a GID"),  # cut inside a GID
        (lambda t: _cut_at(t, "active_speed", 22), "does not end in"),  # "50.0 Gb"
        (lambda t: _cut_at(t, "active_width", 3), "no active_width, active_speed"),
        (lambda t: t.replace("phys_port_cnt:\t\t\t1", "phys_port_cnt:\t\t\t2", 1), "phys_port_cnt"),
        (lambda t: t.replace("RoCE v2", "RoCE", 1), "type"),
        (lambda t: "bash: ibv_devinfo: command not found\n" + t, "before any"),
        (lambda t: t.replace("mlx5_1", "mlx5_\x07"), "garbage"),
    ],
    ids=["cut-gid", "cut-speed", "cut-port", "port-count", "gid-type", "not-found", "garbage"],
)
def test_bad_text(case_text, mangle, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(mangle(case_text("ibv_devinfo_v_handwritten.txt")))


def test_no_devices_is_an_error():
    with pytest.raises(FactParseError, match="no 'hca_id:'"):
        parse("$ ibv_devinfo -v\n")
