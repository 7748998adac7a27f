"""NvlinkStatus from hand-written `nvidia-smi nvlink --status` samples (format from the nvidia-smi
documentation), derived faults, truncation and garbage. Real recordings are tested elsewhere: a
GPU exposing no NVLink (empty output) in test_device_recordings.py, H100 links and a cut output
in test_published_recordings.py."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.nvlink import parse


def test_h100_eight_gpus_eighteen_links_each(case_text):
    status = parse(case_text("nvlink_H100_handwritten.txt"))
    assert [g.index for g in status.gpus] == list(range(8))
    g0 = status.gpus[0]
    assert g0.name == "NVIDIA H100 80GB HBM3" and g0.uuid.startswith("GPU-")
    assert len(g0.links) == len(g0.active) == 18
    assert {link.gbs for g in status.gpus for link in g.links} == {26.562}


def test_inactive_links_are_kept_inactive(case_text):
    gpu2 = parse(case_text("nvlink_H100_gpu2_two_links_inactive.txt")).gpus[2]
    assert len(gpu2.links) == 18 and len(gpu2.active) == 16
    assert [(link.link, link.gbs) for link in gpu2.links if not link.active] == [
        (5, None),
        (11, None),
    ]


@pytest.mark.parametrize("name", ["empty.txt"])
def test_blank_output_means_no_gpu_reports_links(case_text, name):
    assert parse(case_text(name)).gpus == () and parse("\n\n").gpus == ()


def test_gpu_without_links_is_kept_empty():
    status = parse("GPU 0: NVIDIA L40S (UUID: GPU-1)\n")
    assert status.gpus[0].links == ()


@pytest.mark.parametrize(
    ("name", "reason"),
    [("nvlink_H100_truncated_midline.txt", "neither")],
)
def test_bad_cases(case_text, name, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(name))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("\t Link 0: 26.562 GB/s\n", "before any"),
        ("GPU 0: X\n\t Link 1: 25 GB/s\n\t Link 0: 25 GB/s\n", "out of order"),
        ("GPU 0: X\nGPU 0: X\n", "repeat"),
        (
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
            "neither",
        ),
        ("GPU 0: X\n\t Link 0: \x00\x01\n", "garbage"),
    ],
)
def test_bad_text(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)
