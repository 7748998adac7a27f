"""NVLink, RDMA port speed and GID, OCA version and GPU power cap checks, both ways, from the
hand-written samples (tests/health/cases, tests/facts/cases) and faults derived from them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bootstrap.health.checks import (
    CHECK_NAMES,
    NodeExpectations,
    needed_kinds,
    nvlink,
    oca,
    power,
    rdma_ports,
    run_checks,
)
from bootstrap.health.findings import Severity, gate
from bootstrap.health.node_facts import NodeFacts, RawFact
from tests.health.conftest import (
    H100,
    H200,
    case,
    fact_case,
    healthy_h200_files,
    node_facts,
    read,
)

CAP = NodeExpectations(gpu_power_cap_w=500)


def one(key: str, text: str) -> NodeFacts:
    return NodeFacts("gpu-1", {key: RawFact(text)})


def test_new_checks_are_named_and_gathered():
    assert {"nvlink", "rdma-speed", "rdma-gid", "oca-version", "gpu-power-cap"} <= set(CHECK_NAMES)
    assert {"nvlink", "ibv-devinfo", "oca-version", "gpu-power"} <= set(needed_kinds(H200))


def test_healthy_h200_passes_with_and_without_a_matching_cap():
    facts = node_facts(healthy_h200_files())
    assert run_checks(facts, H200) == []
    assert run_checks(facts, H200, expect=NodeExpectations(gpu_power_cap_w=700)) == []


# --- nvlink -----------------------------------------------------------------------------------


def test_nvlink_all_active_at_speed():
    assert nvlink.check_nvlink(one("nvlink", read(case("nvlink_H200.txt"))), H200) == []
    assert (
        nvlink.check_nvlink(one("nvlink", read(fact_case("nvlink_H100_handwritten.txt"))), H100)
        == []
    )


def test_nvlink_inactive_links_name_the_gpu():
    facts = one("nvlink", read(fact_case("nvlink_H100_gpu2_two_links_inactive.txt")))
    [finding] = nvlink.check_nvlink(facts, H100)
    assert finding.check == "nvlink:2" and finding.severity is Severity.ERROR
    assert "16 of 18 NVLinks active" in finding.message
    assert "nvidia-smi nvlink --status -i 2" in finding.remedy


def test_nvlink_slow_link_against_the_catalog():
    text = read(case("nvlink_H200.txt")).replace("26.562", "50", 18 * 8)
    assert nvlink.check_nvlink(one("nvlink", text), H200) == []
    b200 = replace(H200, nvlink_gbs_per_link=50)
    slow = read(case("nvlink_H200.txt")).replace("Link 4: 26.562", "Link 4: 50", 1)
    findings = nvlink.check_nvlink(one("nvlink", slow), b200)
    assert [f.check for f in findings] == [f"nvlink:{i}" for i in range(8)]
    assert "link(s) below 50 GB/s" in findings[1].message


def test_nvlink_missing_or_garbage_fact_is_an_error_never_a_pass():
    facts = node_facts(healthy_h200_files(), nvlink="GPU 0: X\n\t Link 0: 26.5\n")
    errors = [f for f in run_checks(facts, H200) if f.check == "nvlink"]
    assert errors and "cannot verify" in errors[0].message
    assert "nvidia-smi nvlink --status" in errors[0].remedy
    assert not gate(run_checks(node_facts(healthy_h200_files(), nvlink=None), H200)).passed


def test_nvlink_does_not_apply_without_nvlink():
    assert not nvlink.applies(replace(H200, nvlink_links=None))


# --- RDMA port speed and GID --------------------------------------------------------------------


def h200_ports(text_change: tuple[str, str] | None = None) -> NodeFacts:
    text = read(case("ibv_devinfo_v_H200.txt"))
    if text_change:
        text = text.replace(*text_change, 1)
    return one("ibv-devinfo", text)


def test_rdma_speed_and_gid_ok():
    assert rdma_ports.check_speed(h200_ports(), H200) == []
    assert rdma_ports.check_gid(h200_ports(), H200) == []


def test_rdma_speed_below_the_catalog():
    # mlx5_0 is the first device: 4X x 50 Gbps = 200 Gb/s on a 400 Gb/s shape
    [finding] = rdma_ports.check_speed(h200_ports(("100.0 Gbps (128)", "50.0 Gbps (64)")), H200)
    assert finding.check == "rdma-speed:mlx5_0"
    assert "200 Gb/s" in finding.message and "400 Gb/s" in finding.message
    assert "mlxlink -d mlx5_0" in finding.remedy


def test_rdma_speed_port_down():
    [finding] = rdma_ports.check_speed(h200_ports(("PORT_ACTIVE (4)", "PORT_DOWN (1)")), H200)
    assert finding.check == "rdma-speed:mlx5_0" and "PORT_DOWN" in finding.message


def test_rdma_device_missing_from_ibv_devinfo():
    text = read(case("ibv_devinfo_v_H200.txt")).replace("hca_id:\tmlx5_11", "hca_id:\tmlx5_12")
    facts = one("ibv-devinfo", text)
    assert [f.check for f in rdma_ports.check_speed(facts, H200)] == ["rdma-speed:mlx5_11"]
    assert [f.check for f in rdma_ports.check_gid(facts, H200)] == ["rdma-gid:mlx5_11"]


def test_rdma_gid3_missing():
    gid3 = "\t\t\tGID[  3]:\t\t::ffff:10.224.0.10, RoCE v2\n"
    assert gid3 in read(case("ibv_devinfo_v_H200.txt"))
    [finding] = rdma_ports.check_gid(h200_ports((gid3, "")), H200)
    assert finding.check == "rdma-gid:mlx5_0"
    assert "no GID index 3" in finding.message and "NCCL_IB_GID_INDEX=3" in finding.message
    assert "ibv_devinfo -v -d mlx5_0" in finding.remedy


def test_rdma_gid3_not_roce_v2_ipv4():
    wrong = ("::ffff:10.224.0.10, RoCE v2", "fe80::966d:aeff:fef5:5e60, RoCE v2")
    [finding] = rdma_ports.check_gid(h200_ports(wrong), H200)
    assert "not a RoCE v2 IPv4 GID" in finding.message


def test_rdma_gid_index_comes_from_the_catalog():
    assert rdma_ports.gid_index(H200) == 3
    assert rdma_ports.gid_index(replace(H200, nccl=None)) == rdma_ports.DEFAULT_GID_INDEX


# --- OCA version -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("oca_version_rpm_handwritten.txt", True),
        ("oca_version_dpkg_handwritten.txt", True),  # exactly 1.39.0
        ("oca_version_snap_handwritten.txt", False),  # 1.38.1
        ("oca_version_not_installed.txt", False),
    ],
)
def test_oca_version(name, ok):
    findings = oca.check_version(one("oca-version", read(fact_case(name))), H200)
    assert (findings == []) is ok
    if not ok:
        assert findings[0].check == "oca-version" and "1.39.0" in findings[0].message
        assert "oracle-cloud-agent" in findings[0].remedy


# --- GPU power cap -----------------------------------------------------------------------------


def capped_facts() -> NodeFacts:
    return one("gpu-power", read(fact_case("gpu_power_capped_500_handwritten.txt")))


def test_power_cap_set_and_enforced_except_one_gpu():
    [finding] = power.check_cap(capped_facts(), H200, CAP)
    assert finding.check == "gpu-power-cap:5" and finding.severity is Severity.ERROR
    assert "enforces 700 W; the pool's cap is 500 W" in finding.message
    assert "gpufleet bootstrap --only gpu_power" in finding.remedy
    assert "nvidia-smi -pl 500" in finding.remedy


def test_power_cap_within_one_watt_passes():
    text = "".join(f"{i}, 500.00, {'500.90' if i else '499.10'}\n" for i in range(8))
    assert power.check_cap(one("gpu-power", text), H200, CAP) == []
    text = "0, 500.00, 501.50\n"
    assert [f.check for f in power.check_cap(one("gpu-power", text), H200, CAP)] == [
        "gpu-power-cap:0"
    ]


def test_power_cap_unreported_limit_is_an_error():
    facts = one("gpu-power", read(fact_case("gpu_power_not_supported.txt")))
    findings = power.check_cap(facts, H200, CAP)
    assert [f.check for f in findings] == ["gpu-power-cap:0", "gpu-power-cap:1"]
    assert "does not report" in findings[0].message
    assert power.check_cap(facts, H200, NodeExpectations()) == []


def test_no_cap_warns_about_a_capped_gpu_only():
    findings = power.check_cap(capped_facts(), H200, NodeExpectations())
    assert {f.severity for f in findings} == {Severity.WARNING}
    assert [f.check for f in findings] == [f"gpu-power-cap:{i}" for i in range(8) if i != 5]
    assert "sets no gpu_power_cap_w" in findings[0].message
    assert gate(findings).passed


def test_cap_reaches_the_check_through_run_checks():
    files = healthy_h200_files() | {"gpu-power": fact_case("gpu_power_capped_500_handwritten.txt")}
    facts = node_facts(files)
    assert [f.check for f in run_checks(facts, H200, expect=CAP)] == ["gpu-power-cap:5"]
    verdict = gate(run_checks(facts, H200, expect=CAP), ignore={"gpu-power-cap"})
    assert verdict.passed and verdict.findings[0].ignored_by == "gpu-power-cap"
    truncated = node_facts(healthy_h200_files(), gpu_power="0, 500.00, 500.00\n1, 50")
    errors = [f for f in run_checks(truncated, H200, expect=CAP) if f.severity is Severity.ERROR]
    assert [f.check for f in errors] == ["gpu-power-cap"]
