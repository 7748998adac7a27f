"""Parsers and checks on real H100 outputs published by others (tests/recorded/published)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bootstrap.facts import fabric_manager, nccl_tests, nvlink, rdma_ports
from bootstrap.facts.errors import FactParseError
from bootstrap.health.checks.nvlink import check_nvlink
from bootstrap.health.checks.rdma_ports import check_gid, check_speed
from bootstrap.health.nccl.threshold import SINGLE, judge_run, judged_busbw
from bootstrap.health.node_facts import NodeFacts, RawFact
from infra.shapes import CATALOG
from tests.recorded.device import swap
from tests.recorded.published import published

H100 = CATALOG["BM.GPU.H100.8"]
ALL_REDUCE = "gke_a3_h100_all_reduce_perf_8gpu.txt"


def test_nvlink_h100_eighteen_links_at_26_562() -> None:
    [gpu] = nvlink.parse(published("gke_a3_h100_nvlink_status_gpu0.txt")).gpus
    assert (gpu.index, gpu.name, gpu.uuid) == (
        0, "NVIDIA H100 80GB HBM3", "GPU-2e37c77d-9f00-a42d-bec1-d72b36af9983"
    )  # fmt: skip
    assert len(gpu.active) == 18 and {link.gbs for link in gpu.links} == {26.562}


def test_nvlink_output_cut_at_gpu3_fails_gpu3_and_the_missing_gpus() -> None:
    text = published("gke_a3_h100_nvlink_status_cut_at_gpu3.txt")
    status = nvlink.parse(text)
    assert [(g.index, len(g.active)) for g in status.gpus] == [(0, 18), (1, 18), (2, 18), (3, 2)]
    findings = check_nvlink(NodeFacts("n", {"nvlink": RawFact(text, 0)}), H100)
    assert [f.check for f in findings] == ["nvlink:3", "nvlink:missing"]
    assert "2 of 18 NVLinks active" in findings[0].message
    assert findings[1].message.startswith("only 4 of 8 GPUs report NVLinks")
    # cut mid-line instead: a parse error, never a result
    with pytest.raises(FactParseError):
        nvlink.parse(text[: text.rindex("GB/s") - 3])


def test_fabric_completed_on_a_real_hgx_h100_driver_535() -> None:
    [gpu] = fabric_manager.parse(published("gke_a3_h100_nvidia_smi_q_driver535.txt")).gpus
    assert (gpu.bus_id, gpu.state, gpu.status, gpu.healthy) == (
        "00000000:04:00.0", "Completed", "Success", True
    )  # fmt: skip


def test_real_single_node_h100_run_parses_and_its_average_is_the_mean_of_all_busbw() -> None:
    run = nccl_tests.parse(published(ALL_REDUCE))
    assert (run.nccl_version, run.completed, run.out_of_bounds) == ("2.22.3+cuda12.6", True, 0)
    assert len(run.rows) == 31 and run.rows[0].size_bytes == 8
    values = [v for r in run.rows for v in (r.oop_busbw_gbps, r.ip_busbw_gbps)]
    assert run.avg_busbw_gbps == 145.47 == round(sum(values) / len(values), 2)


def test_single_node_threshold_is_judged_on_the_messages_of_1_gib_and_more() -> None:
    run = nccl_tests.parse(published(ALL_REDUCE))
    # 1, 2, 4, 8 GiB rows: (464.43 + 464.72 + 469.99 + 470.63 + 475.81 + 475.87 + 479.93 * 2) / 8
    assert judged_busbw(run) == (472.664, "avg busbw over messages >= 1 GiB")
    assert judge_run(SINGLE, run, H100.busbw_1node_gbs, "this node") == []
    [slow] = judge_run(SINGLE, run, 475.0, "this node")
    assert "avg busbw over messages >= 1 GiB 472.664 GB/s < threshold 475.0" in slow.message


def test_a_run_of_small_messages_only_cannot_be_judged() -> None:
    text = published(ALL_REDUCE)
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(
        ("1073741824", "2147483648", "4294967296", "8589934592"))]  # fmt: skip
    run = nccl_tests.parse("\n".join(kept) + "\n")
    assert len(run.rows) == 27
    [finding] = judge_run(SINGLE, run, 440.0, "this node")
    assert "no message of 1 GiB or more" in finding.message and "-b 1G -e 16G" in finding.remedy


SOFT_ROCE = "softroce_rxe0_ibv_devinfo_v_centos7.txt"


def test_ibv_devinfo_verbose_real_layout_parses() -> None:
    [dev] = rdma_ports.parse(published(SOFT_ROCE)).devices
    [port] = dev.ports
    assert (dev.hca_id, dev.fw_ver) == ("rxe0", "0.0.0")
    assert (port.port, port.state, port.active, port.active_mtu, port.link_layer) == (
        1, "PORT_ACTIVE", True, 1024, "Ethernet"
    )  # fmt: skip
    assert (port.width, port.lane_gbps, port.gbps) == (1, 2.5, 2.5)
    assert [(g.index, g.type) for g in port.gids] == [(0, None), (1, None)]
    assert port.gid(1).gid == "0000:0000:0000:0000:0000:ffff:0a0b:0bfb"


def test_ibv_devinfo_real_port_fails_speed_and_gid_checks() -> None:
    """The real port, named as the shape's first RDMA device: 2.5 Gb/s and no GID index 3."""
    text = swap(published(SOFT_ROCE), "hca_id: rxe0", "hca_id: mlx5_0")
    shape = replace(H100, rdma_devices=("mlx5_0",))
    facts = NodeFacts("n", {"ibv-devinfo": RawFact(text, 0)})
    [speed] = check_speed(facts, shape)
    assert (
        speed.check == "rdma-speed:mlx5_0" and "runs at 2.5 Gb/s (1X x 2.5 Gbps)" in speed.message
    )
    [gid] = check_gid(facts, shape)
    assert gid.check == "rdma-gid:mlx5_0"
    assert (
        gid.message
        == "RDMA device mlx5_0 has no GID index 3: NCCL (NCCL_IB_GID_INDEX=3) cannot use it"
    )
    with pytest.raises(FactParseError):  # cut inside the last GID line
        rdma_ports.parse(text[: text.rindex(":0a0b")])
