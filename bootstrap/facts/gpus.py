"""GPU inventory from `nvidia-smi` (fact `GpuInventory`).

Two formats, one result type:

* ``nvidia-smi -q -x`` XML (preferred: carries ECC, row remapping, PCIe link, throttle reasons);
  parsed by `bootstrap.facts.gpus_xml.parse_xml`.
* the plain ``nvidia-smi`` table (what people paste; carries name, persistence, bus id, volatile
  uncorrectable ECC, temperature, power draw/cap, memory); parsed by
  `bootstrap.facts.gpus_table.parse_table`.

A field the format does not carry is ``None``. Example (H200 table fixture, abridged)::

    {"count": 8, "cuda_version": "12.8", "driver_version": "570.172.08", "source_format": "table",
     "gpus": [{"index": 0, "name": "NVIDIA H200", "bus_id": "00000000:0F:00.0",
               "persistence_mode": true, "temperature_c": 32, "power_draw_w": 120.0,
               "power_limit_w": 700.0, "memory_total_mib": 143771, "ecc_volatile_uncorrected": 0,
               "pcie_width_current": null, ...}, ...]}
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.facts.base import Fact, require_text

KIND = "nvidia-smi"
COMMAND = "timeout 30 nvidia-smi -q -x"
TABLE_COMMAND = "timeout 30 nvidia-smi"


@dataclass(frozen=True)
class Gpu(Fact):
    index: int
    name: str
    bus_id: str
    uuid: str | None = None
    serial: str | None = None
    persistence_mode: bool | None = None
    temperature_c: int | None = None
    performance_state: str | None = None
    power_draw_w: float | None = None
    power_limit_w: float | None = None
    memory_used_mib: int | None = None
    memory_total_mib: int | None = None
    utilization_percent: int | None = None
    compute_mode: str | None = None
    mig_mode: str | None = None
    ecc_mode: str | None = None
    # sums of SRAM+DRAM uncorrectable counters; table only has the volatile one
    ecc_volatile_uncorrected: int | None = None
    ecc_aggregate_uncorrected: int | None = None
    row_remap_pending: bool | None = None
    row_remap_failure: bool | None = None
    row_remap_uncorrectable: int | None = None
    pcie_gen_current: int | None = None
    pcie_gen_max: int | None = None
    pcie_width_current: int | None = None
    pcie_width_max: int | None = None
    # names of active clock event (throttle) reasons, e.g. ("hw_slowdown",); () = none active
    throttle_reasons_active: tuple[str, ...] | None = None
    fabric_state: str | None = None
    fabric_status: str | None = None


@dataclass(frozen=True)
class GpuInventory(Fact):
    source_format: str  # "table" | "xml"
    driver_version: str
    cuda_version: str | None
    count: int
    gpus: tuple[Gpu, ...]


def parse(text: str) -> GpuInventory:
    """Parse either format, chosen by content (XML if it has an <nvidia_smi_log> root)."""
    from bootstrap.facts.gpus_table import parse_table
    from bootstrap.facts.gpus_xml import parse_xml

    require_text(KIND, text)
    if "<nvidia_smi_log" in text:
        return parse_xml(text)
    return parse_table(text)
