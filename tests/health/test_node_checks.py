"""RDMA, 802.1X, OCA, fabric, storage and identity checks; and the loop that runs them all."""

from __future__ import annotations

import json
from dataclasses import replace

from bootstrap.facts.base import strip_provenance
from bootstrap.health.checks import (
    CHECK_NAMES,
    Check,
    dot1x,
    fabric,
    identity,
    needed_kinds,
    oca,
    rdma,
    run_checks,
    storage,
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
    shared,
)


def checks_of(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.check for f in findings]


def test_healthy_h200_node_passes_every_check() -> None:
    findings = run_checks(node_facts(healthy_h200_files()), H200)
    assert findings == []
    assert gate(findings).passed


def test_real_h100_ibdev2netdev_has_every_rdma_device_up() -> None:
    f = NodeFacts("n", {"ibdev2netdev": RawFact(read(shared("ibdev2netdev_BM.GPU.H100.8.txt")))})
    assert rdma.check_links(f, H100) == []


def test_link_down_names_the_device() -> None:
    f = NodeFacts(
        "n", {"ibdev2netdev": RawFact(read(fact_case("ibdev2netdev_H100_mlx5_3_down.txt")))}
    )
    [finding] = rdma.check_links(f, H100)
    assert finding.check == "rdma-link:mlx5_3" and "Down" in finding.message
    assert "mlxlink -d mlx5_3" in finding.remedy


def test_missing_rdma_device() -> None:
    text = read(case("ibdev2netdev_H200.txt")).replace("mlx5_9 port 1 ==> rdma5 (Up)\n", "")
    [finding] = rdma.check_links(node_facts(healthy_h200_files(), ibdev2netdev=text), H200)
    assert finding.check == "rdma-link:mlx5_9" and "missing" in finding.message


def test_rdma_netdev_without_address_and_wrong_mtu() -> None:
    links = json.loads(strip_provenance(read(case("ip_j_addr_H200_rdma.json"))))
    links[3]["addr_info"] = []  # rdma1
    links[4]["mtu"] = 1500  # rdma2
    f = node_facts(healthy_h200_files(), ip_addr=json.dumps(links))
    assert checks_of(rdma.check_addresses(f, H200)) == ["rdma-address:rdma1"]
    [mtu] = rdma.check_mtu(f, H200)
    assert mtu.check == "rdma-mtu:rdma2" and "1500" in mtu.message and "4220" in mtu.message


def test_dot1x_both_ways() -> None:
    files = healthy_h200_files()
    assert dot1x.check_dot1x(node_facts(files), H200) == []
    bad = node_facts(files, **{"wpa-cli.rdma4": fact_case("wpa_cli_status_not_authenticated.txt")})
    assert checks_of(dot1x.check_dot1x(bad, H200)) == ["dot1x:rdma4"]
    missing = node_facts(files, **{"wpa-cli.rdma7": None})
    [finding] = dot1x.check_dot1x(missing, H200)
    assert finding.check == "dot1x:rdma7" and "not gathered" in finding.message


def test_oca_plugin_state() -> None:
    files = healthy_h200_files()
    assert oca.check_oca(node_facts(files), H200) == []
    [finding] = oca.check_oca(
        node_facts(files, oca_rdma=fact_case("oca_rdma_in_progress.json")), H200
    )
    assert finding.check == "oca-rdma" and "wait" in finding.remedy


def test_fabric_manager_in_progress_fails() -> None:
    files = healthy_h200_files()
    assert fabric.check_fabric(node_facts(files), H200) == []
    f = node_facts(files, fabric_manager=fact_case("nvidia_smi_q_fabric_in_progress.txt"))
    [finding] = fabric.check_fabric(f, H200)
    assert finding.check == "fabric-manager" and "nvidia-fabricmanager" in finding.remedy


def test_fabric_check_skipped_for_gb200_and_pcie_shapes() -> None:
    from infra.shapes import CATALOG

    assert fabric.applies(H100)
    assert not fabric.applies(CATALOG["BM.GPU.GB200.4"])
    assert not fabric.applies(CATALOG["BM.GPU.L40S.4"])


def test_scratch_mount_warning() -> None:
    root = {"target": "/", "source": "/dev/sda1", "fstype": "ext4", "options": "rw"}
    text = json.dumps({"filesystems": [root]})
    [finding] = storage.check_scratch(node_facts(healthy_h200_files(), mounts=text), H200)
    assert finding.severity is Severity.WARNING and finding.check == "local-nvme"


def test_shape_mismatch() -> None:
    f = node_facts(
        healthy_h200_files(), imds_instance=shared("imds_v2_instance_BM.GPU.H100.8.json")
    )
    [finding] = identity.check_shape(f, H200)
    assert finding.check == "shape-match" and "BM.GPU.H100.8" in finding.message


def test_truncated_fact_is_an_error_of_every_check_needing_it() -> None:
    f = node_facts(
        healthy_h200_files(), ibdev2netdev=fact_case("ibdev2netdev_H100_truncated_half.txt")
    )
    findings = run_checks(f, H200)
    failing = {x.check for x in findings if x.severity is Severity.ERROR}
    assert {"rdma-link", "rdma-address", "rdma-mtu", "dot1x"} <= failing
    assert all("cannot verify" in x.message for x in findings if x.check in failing)


def test_missing_garbage_and_truncated_gpu_facts_never_pass() -> None:
    for override in (
        None,
        fact_case("nvidia_smi_H200_garbage_bytes.txt"),
        fact_case("nvidia_smi_q_x_truncated_half.xml"),
        fact_case("empty.txt"),
    ):
        f = node_facts(healthy_h200_files(), nvidia_smi_xml=override)
        verdict = gate(run_checks(f, H200))
        assert not verdict.passed
        assert "gpu-count" in verdict.failing_checks


def test_all_checks_run_even_when_one_raises() -> None:
    def broken(facts: NodeFacts, shape: object) -> list:  # type: ignore[type-arg]
        raise RuntimeError("bug")

    checks = (Check("broken", (), broken), Check("oca-rdma", ("oca-rdma",), oca.check_oca))
    f = node_facts(healthy_h200_files(), oca_rdma=fact_case("oca_rdma_in_progress.json"))
    assert checks_of(run_checks(f, H200, checks)) == ["broken", "oca-rdma"]


def test_needed_kinds_follow_the_shape() -> None:
    assert "fabric-manager" in needed_kinds(H200)
    amd = needed_kinds(replace(H200, gpu_vendor="amd", nvswitch=False))
    assert "nvidia-smi-xml" not in amd and "ibdev2netdev" in amd
    assert len(CHECK_NAMES) == len(set(CHECK_NAMES))
