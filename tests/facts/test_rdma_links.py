"""RdmaLinks from the recorded BM.GPU.H100.8 `ibdev2netdev`."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.rdma_links import parse

H100 = "ibdev2netdev_BM.GPU.H100.8.txt"


def test_h100_recorded(fixture_text):
    links = parse(fixture_text(H100))
    assert len(links.links) == 18 and all(link.up for link in links.links)
    by_dev = links.by_device()
    assert by_dev["mlx5_2"].netdev == "eth0" and by_dev["mlx5_11"].netdev == "eth1"
    assert sorted(link.netdev for link in links.links if link.netdev.startswith("rdma")) == sorted(
        f"rdma{i}" for i in range(16)
    )
    assert by_dev["mlx5_17"].port == 1 and by_dev["mlx5_17"].state == "Up"


def test_link_down(case_text):
    links = parse(case_text("ibdev2netdev_H100_mlx5_3_down.txt")).by_device()
    assert links["mlx5_3"].state == "Down" and links["mlx5_3"].up is False
    assert sum(not link.up for link in links.values()) == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("ibdev2netdev_H100_truncated_half.txt", "line 1[0-9]"),
        ("nvidia_smi_H200_garbage_bytes.txt", "garbage"),
        ("empty.txt", "empty"),
    ],
)
def test_bad_input(case_text, case, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(case))


def test_error_output_is_not_a_link_list():
    with pytest.raises(FactParseError, match="is not"):
        parse("bash: ibdev2netdev: command not found\n")
