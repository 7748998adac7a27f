"""GpuInventory from the recorded H200 `nvidia-smi` table and the hand-written -q -x sample."""

from __future__ import annotations

import pytest

from bootstrap.facts import gpus
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.gpus_table import parse_table
from bootstrap.facts.gpus_xml import parse_xml

H200 = "nvidia_smi_BM.GPU.H200.8_driver570.txt"


def test_h200_table_recorded(fixture_text):
    inv = parse_table(fixture_text(H200))
    assert (inv.count, inv.driver_version, inv.cuda_version) == (8, "570.172.08", "12.8")
    assert inv.source_format == "table"
    assert [g.bus_id[-7:] for g in inv.gpus] == [
        "0F:00.0", "2D:00.0", "44:00.0", "5B:00.0", "89:00.0", "A8:00.0", "C0:00.0", "D8:00.0"
    ]  # fmt: skip
    first = inv.gpus[0]
    assert first.name == "NVIDIA H200" and first.persistence_mode is True
    assert (first.temperature_c, first.power_draw_w, first.power_limit_w) == (32, 120.0, 700.0)
    assert (first.memory_used_mib, first.memory_total_mib) == (0, 143771)
    assert first.ecc_volatile_uncorrected == 0 and first.mig_mode == "Disabled"
    assert all(g.power_limit_w == 700.0 for g in inv.gpus)
    # the table does not carry these: None, never a made-up healthy value
    assert first.pcie_width_current is None and first.row_remap_pending is None


def test_autodetect_picks_table(fixture_text):
    assert gpus.parse(fixture_text(H200)).source_format == "table"


def test_table_ecc_uncorrectable(case_text):
    inv = parse_table(case_text("nvidia_smi_H200_gpu3_ecc_uncorrectable.txt"))
    assert [g.ecc_volatile_uncorrected for g in inv.gpus] == [0, 0, 0, 2, 0, 0, 0, 0]


def test_table_seven_gpus(case_text):
    inv = parse_table(case_text("nvidia_smi_H200_7_gpus.txt"))
    assert inv.count == 7 and inv.gpus[-1].index == 6


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("nvidia_smi_H200_missing_driver_version.txt", "Driver Version"),
        ("nvidia_smi_H200_truncated_half.txt", "truncated"),
        ("nvidia_smi_H200_garbage_bytes.txt", "garbage"),
        ("empty.txt", "empty"),
    ],
)
def test_table_bad_input_is_a_parse_error(case_text, case, reason):
    with pytest.raises(FactParseError, match=reason) as err:
        parse_table(case_text(case))
    assert err.value.kind == "nvidia-smi"


def test_table_cut_after_gpu_table_is_truncated(fixture_text):
    text = fixture_text(H200)
    cut = text[: text.index("| Processes:")]
    with pytest.raises(FactParseError, match="Processes"):
        parse_table(cut)


def test_xml_handwritten(case_text):
    inv = parse_xml(case_text("nvidia_smi_q_x_H200_handwritten.xml"))
    assert (inv.source_format, inv.count, inv.driver_version) == ("xml", 2, "570.172.08")
    gpu = inv.gpus[1]
    assert (gpu.index, gpu.bus_id, gpu.uuid) == (
        1, "00000000:2D:00.0", "GPU-00000000-0000-0000-0000-000000000001"
    )  # fmt: skip
    assert (gpu.pcie_gen_current, gpu.pcie_gen_max) == (5, 5)
    assert (gpu.pcie_width_current, gpu.pcie_width_max) == (16, 16)
    assert (gpu.power_draw_w, gpu.power_limit_w, gpu.temperature_c) == (127.02, 700.0, 37)
    assert (gpu.ecc_volatile_uncorrected, gpu.ecc_aggregate_uncorrected) == (0, 0)
    assert (gpu.row_remap_pending, gpu.row_remap_failure, gpu.row_remap_uncorrectable) == (
        False, False, 0
    )  # fmt: skip
    assert gpu.throttle_reasons_active == ("gpu_idle",)
    assert (gpu.fabric_state, gpu.fabric_status) == ("Completed", "Success")
    assert gpu.persistence_mode is True and gpu.ecc_mode == "Enabled"


def test_autodetect_picks_xml(case_text):
    assert gpus.parse(case_text("nvidia_smi_q_x_H200_handwritten.xml")).source_format == "xml"


def test_xml_pcie_x8(case_text):
    inv = parse_xml(case_text("nvidia_smi_q_x_gpu1_pcie_x8.xml"))
    assert [g.pcie_width_current for g in inv.gpus] == [16, 8]


def test_xml_ecc_and_row_remap(case_text):
    gpu = parse_xml(case_text("nvidia_smi_q_x_gpu1_ecc_row_remap.xml")).gpus[1]
    assert (gpu.ecc_volatile_uncorrected, gpu.ecc_aggregate_uncorrected) == (4, 4)
    assert gpu.row_remap_pending is True and gpu.row_remap_uncorrectable == 4
    assert gpu.throttle_reasons_active == ("gpu_idle", "hw_slowdown")


def test_xml_missing_remapped_rows_is_none(case_text):
    inv = parse_xml(case_text("nvidia_smi_q_x_missing_remapped_rows.xml"))
    assert all(g.row_remap_pending is None and g.row_remap_failure is None for g in inv.gpus)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("nvidia_smi_q_x_one_gpu_of_two.xml", "attached_gpus"),
        ("nvidia_smi_q_x_truncated_half.xml", "XML"),
        ("empty.txt", "empty"),
    ],
)
def test_xml_bad_input_is_a_parse_error(case_text, case, reason):
    with pytest.raises(FactParseError, match=reason):
        parse_xml(case_text(case))


def test_xml_wrong_root_and_bad_number():
    with pytest.raises(FactParseError, match="root element"):
        parse_xml("<html><body/></html>")
    bad = (
        "<nvidia_smi_log><driver_version>570</driver_version><attached_gpus>1</attached_gpus>"
        '<gpu id="00000000:0F:00.0"><product_name>X</product_name>'
        "<temperature><gpu_temp>hot</gpu_temp></temperature></gpu></nvidia_smi_log>"
    )
    with pytest.raises(FactParseError, match="not a number"):
        parse_xml(bad)


def test_json_is_deterministic(fixture_text):
    inv = parse_table(fixture_text(H200))
    assert inv.to_json() == parse_table(fixture_text(H200)).to_json()
    assert inv.to_json().index('"count"') < inv.to_json().index('"driver_version"')
