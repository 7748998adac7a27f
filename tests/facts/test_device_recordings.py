"""Every parser against what a real NVIDIA H200 printed (driver 580.159.04; recorded by
tests/recorded/device/record_node.py), and faults injected into those real outputs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts import (
    fabric_manager,
    gpu_power,
    gpus_table,
    gpus_xml,
    mounts,
    nvlink,
    oca_version,
    xid,
)
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.registry import FACTS
from tests.recorded.device import H200_VM, LOADED, recorded, swap

DRIVER, CUDA, BUS = "580.159.04", "13.0", "00000000:00:06.0"


def test_every_recording_names_machine_gpu_and_driver_in_its_first_line() -> None:
    files = sorted(H200_VM.glob("*.txt"))
    assert {p.stem for p in files} <= set(FACTS) and len(files) == 8
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# SOURCE: recorded by gpufleet"), path.name
        assert f"NVIDIA H200, driver {DRIVER}" in first, path.name


def test_table_real_h200() -> None:
    inv = gpus_table.parse_table(recorded("nvidia-smi"))
    assert (inv.driver_version, inv.cuda_version, inv.count) == (DRIVER, CUDA, 1)
    g = inv.gpus[0]
    assert (g.name, g.bus_id, g.persistence_mode, g.performance_state) == (
        "NVIDIA H200",
        BUS,
        True,
        "P0",
    )
    assert (g.power_limit_w, g.memory_total_mib, g.ecc_volatile_uncorrected) == (700.0, 143771, 0)
    assert (g.mig_mode, g.compute_mode, g.temperature_c) == ("Disabled", "Default", 37)


def test_xml_real_h200_every_health_field() -> None:
    inv = gpus_xml.parse_xml(recorded("nvidia-smi-xml"))
    assert (inv.driver_version, inv.cuda_version, inv.count) == (DRIVER, CUDA, 1)
    g = inv.gpus[0]
    assert g.uuid == "GPU-87baaf35-9b9a-864d-bc20-042ec8b5fb7f" and g.bus_id == BUS
    assert (g.ecc_mode, g.ecc_volatile_uncorrected, g.ecc_aggregate_uncorrected) == (
        "Enabled",
        0,
        0,
    )
    assert (g.row_remap_pending, g.row_remap_failure, g.row_remap_uncorrectable) == (
        False,
        False,
        0,
    )
    assert (g.pcie_gen_current, g.pcie_gen_max, g.pcie_width_current, g.pcie_width_max) == (
        5,
        5,
        16,
        16,
    )
    assert g.throttle_reasons_active == ("gpu_idle",)
    assert (g.persistence_mode, g.power_limit_w, g.memory_total_mib) == (True, 700.0, 143771)


def test_table_and_xml_of_the_same_machine_agree() -> None:
    table = gpus_table.parse_table(recorded("nvidia-smi")).gpus[0]
    xml = gpus_xml.parse_xml(recorded("nvidia-smi-xml")).gpus[0]
    for field in ("name", "bus_id", "persistence_mode", "power_limit_w", "memory_total_mib",
                  "ecc_volatile_uncorrected", "mig_mode", "compute_mode"):  # fmt: skip
        assert getattr(table, field) == getattr(xml, field), field


@pytest.mark.parametrize(
    ("old", "new", "field", "value"),
    [
        # R550+ splits SRAM uncorrectable errors into parity and SEC-DED: each must count.
        ("<sram_uncorrectable_secded>0</sram_uncorrectable_secded>\n\t\t\t\t<dram_correctable>",
         "<sram_uncorrectable_secded>2</sram_uncorrectable_secded>\n\t\t\t\t<dram_correctable>",
         "ecc_volatile_uncorrected", 2),
        ("<remapped_row_pending>No</remapped_row_pending>",
         "<remapped_row_pending>Yes</remapped_row_pending>", "row_remap_pending", True),
        ("<current_link_width>16x</current_link_width>",
         "<current_link_width>8x</current_link_width>", "pcie_width_current", 8),
        ("<clocks_event_reason_hw_slowdown>Not Active</clocks_event_reason_hw_slowdown>",
         "<clocks_event_reason_hw_slowdown>Active</clocks_event_reason_hw_slowdown>",
         "throttle_reasons_active", ("gpu_idle", "hw_slowdown")),
        ("<persistence_mode>Enabled</persistence_mode>",
         "<persistence_mode>Disabled</persistence_mode>", "persistence_mode", False),
    ],
)  # fmt: skip
def test_xml_faults_injected_into_the_real_output(old, new, field, value) -> None:
    text = recorded("nvidia-smi-xml")
    volatile_first = old.startswith("<sram_uncorrectable_secded>")
    faulty = text.replace(old, new, 1) if volatile_first else swap(text, old, new)
    assert faulty != text
    assert getattr(gpus_xml.parse_xml(faulty).gpus[0], field) == value


@pytest.mark.parametrize(
    ("kind", "parse"),
    [
        ("nvidia-smi-xml", gpus_xml.parse_xml),
        ("nvidia-smi", gpus_table.parse_table),
        ("fabric-manager", fabric_manager.parse),
        ("gpu-power", gpu_power.parse),
        ("xid", xid.parse),
        ("mounts", mounts.parse),
    ],
)
def test_real_outputs_cut_anywhere_are_parse_errors_never_a_result(kind, parse) -> None:
    text = recorded(kind)
    parse(text)  # whole: parses
    # nvidia-smi -q: past the last GPU's "Processes" line nothing the fact reads is left to cut.
    end = text.rindex("\n    Processes") if kind == "fabric-manager" else len(text)
    cuts = sorted({end // 2, end // 3, end - 2, 3})
    for cut in cuts:
        with pytest.raises(FactParseError):
            parse(text[:cut])


def test_xml_missing_driver_version_is_a_parse_error() -> None:
    text = swap(recorded("nvidia-smi-xml"), f"<driver_version>{DRIVER}</driver_version>", "")
    with pytest.raises(FactParseError, match="driver_version"):
        gpus_xml.parse_xml(text)


def test_fabric_of_a_gpu_passed_through_alone_is_not_applicable() -> None:
    status = fabric_manager.parse(recorded("fabric-manager"))
    assert [(g.bus_id, g.state, g.status, g.healthy) for g in status.gpus] == [
        (BUS, None, None, False)
    ]


def test_power_limits_real() -> None:
    limits = gpu_power.parse(recorded("gpu-power"))
    assert [(p.index, p.limit_w, p.enforced_w) for p in limits.gpus] == [(0, 700.0, 700.0)]


def test_nvlink_of_a_gpu_without_visible_links_is_empty_output_and_no_gpus() -> None:
    text = recorded("nvlink")
    assert text == ""  # what driver 580 printed (exit 0) for a GPU exposing no NVLink
    assert nvlink.parse(text).gpus == ()


def test_xid_none_mounts_and_agent_absent() -> None:
    assert xid.parse(recorded("xid")).events == ()
    root = next(m for m in mounts.parse(recorded("mounts")).mounts if m.target == "/")
    assert (root.source, root.fstype) == ("/dev/vda", "ext4")
    assert oca_version.parse(recorded("oca-version")).installed is False


@pytest.mark.parametrize("kind", sorted(p.stem for p in H200_VM.glob("*.txt")))
def test_facts_parse_cli_on_every_recording(kind: str) -> None:
    result = CliRunner().invoke(cli, ["facts", "parse", kind, str(H200_VM / f"{kind}.txt")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc == json.loads(json.dumps(FACTS[kind].parse(recorded(kind)).to_dict()))


def test_under_training_load_the_real_gpu_reports_the_software_power_cap_only() -> None:
    """What the health timer sees on a busy node: bf16 matrix products at the 700 W limit."""
    g = gpus_xml.parse_xml(recorded("nvidia-smi-xml", LOADED)).gpus[0]
    assert g.throttle_reasons_active == ("sw_power_cap",)  # not a slowdown: no finding
    assert g.utilization_percent == 99 and g.performance_state == "P0"
    assert g.power_draw_w is not None and 600 < g.power_draw_w <= g.power_limit_w == 700.0
    assert (g.pcie_gen_current, g.pcie_width_current) == (5, 16)
    table = gpus_table.parse_table(recorded("nvidia-smi", LOADED)).gpus[0]
    assert (table.power_draw_w, table.utilization_percent, table.temperature_c) == (691.0, 99, 58)
