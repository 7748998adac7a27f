"""The shape catalog's internal consistency (the figures themselves carry source comments)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.shapes import ALL_OS, CATALOG, get_shape

REQUIRED = [
    "BM.GPU.H100.8",
    "BM.GPU.H200.8",
    "BM.GPU.B200.8",
    "BM.GPU.GB200.4",
    "BM.GPU.A100-v2.8",
    "BM.GPU4.8",
    "BM.GPU.L40S.4",
    "BM.GPU.MI300X.8",
]


def test_catalog_has_the_required_shapes() -> None:
    assert set(REQUIRED) <= set(CATALOG)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_shape_is_consistent(name: str) -> None:
    s = CATALOG[name]
    assert s.gpu_count in (4, 8)
    assert all(re.fullmatch(r"mlx5_\d+", d) for d in s.rdma_devices)
    assert len(set(s.rdma_devices)) == len(s.rdma_devices)
    assert set(s.supported_os) <= set(ALL_OS) and s.supported_os
    if s.nccl is not None:
        assert set(s.nccl.ib_hca) == set(s.rdma_devices)  # NCCL uses every RDMA port
        env = s.nccl.env()
        assert env["NCCL_IB_HCA"] == "=" + ",".join(s.nccl.ib_hca)
    if s.nvswitch:
        assert s.gpu_vendor == "nvidia"


def test_h100_rdma_and_nccl_match_oracles_nccl_conf() -> None:
    env = CATALOG["BM.GPU.H100.8"].nccl.env()  # type: ignore[union-attr]
    # oci-hpc @ b5285a68 playbooks/roles/nccl-conf/templates/h100
    assert env["NCCL_IB_HCA"] == (
        "=mlx5_0,mlx5_1,mlx5_3,mlx5_4,mlx5_5,mlx5_6,mlx5_7,mlx5_8,"
        "mlx5_9,mlx5_10,mlx5_12,mlx5_13,mlx5_14,mlx5_15,mlx5_16,mlx5_17"
    )
    assert (env["NCCL_IB_GID_INDEX"], env["NCCL_IB_TC"], env["NCCL_IB_SL"]) == ("3", "41", "0")
    assert CATALOG["BM.GPU.H100.8"].rdma_tbps == 3.2


FIGURES = (
    "gpu_count|gpu_memory_gb|gpu_tdp_w|nvlink_links|nvlink_gbs_per_link|cpu_cores|ram_gb|"
    "nvme_count|nvme_tb_each|frontend_gbps|rdma_gbps_each|rdma_mtu|busbw_1node_gbs|"
    "busbw_multinode_gbs|usd_per_gpu_hour|node_max_kw|boot_volume_vpus_per_gb"
)


def test_every_figure_line_cites_a_source() -> None:
    """Every figure in the catalog is None or has its source in a comment on its line."""
    text = (Path(__file__).resolve().parents[2] / "infra" / "shapes.py").read_text()
    figures = re.findall(rf"^\s+({FIGURES})=([^,]+),(.*)$", text, re.M)
    assert len(figures) == 17 * len(CATALOG)
    unsourced = [(f, v) for f, v, comment in figures if v.strip() != "None" and "#" not in comment]
    assert unsourced == []


def test_get_shape_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"known: BM\.GPU\.A100-v2\.8"):
        get_shape("BM.GPU.X")
