"""FabricStatus from hand-written `nvidia-smi -q` Fabric sections. The real recordings (H200
driver 580, H100 driver 535) are tested in test_device_recordings.py and
test_published_recordings.py."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.fabric_manager import parse


def test_completed(case_text):
    fabric = parse(case_text("nvidia_smi_q_fabric_H200_handwritten.txt"))
    assert [g.bus_id for g in fabric.gpus] == ["00000000:0F:00.0", "00000000:2D:00.0"]
    assert all((g.state, g.status) == ("Completed", "Success") and g.healthy for g in fabric.gpus)


def test_in_progress(case_text):
    fabric = parse(case_text("nvidia_smi_q_fabric_in_progress.txt"))
    assert (fabric.gpus[1].state, fabric.gpus[1].status) == ("In Progress", None)
    assert fabric.gpus[1].healthy is False


def test_na_is_none(case_text):
    fabric = parse(case_text("nvidia_smi_q_fabric_pcie_gpu_na.txt"))
    assert all(g.state is None and g.status is None for g in fabric.gpus)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("nvidia_smi_q_fabric_truncated.txt", "Attached GPUs"),
        ("nvidia_smi_H200_garbage_bytes.txt", "garbage"),
        ("empty.txt", "empty"),
    ],
)
def test_bad_input(case_text, case, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(case))


def test_table_output_is_not_q_output(fixture_text):
    with pytest.raises(FactParseError, match="Attached GPUs"):
        parse(fixture_text("nvidia_smi_BM.GPU.H200.8_driver570.txt"))
