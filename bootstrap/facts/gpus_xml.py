"""Parser for ``nvidia-smi -q -x`` (XML, DTD nvsmi_device_v11/v12).

Element names follow NVIDIA's DTD shipped with the driver (``nvsmi_device_v12.dtd``) and the
``nvidia-smi`` man page; where drivers renamed an element both spellings are accepted:
``clocks_event_reasons`` (R535+) / ``clocks_throttle_reasons`` (older), ``gpu_power_readings``
(R530+) / ``power_readings``, ``instant_power_draw``/``power_draw``/``average_power_draw``,
``current_power_limit``/``power_limit``, ``sram_uncorrectable_parity`` +
``sram_uncorrectable_secded`` (R550+) / ``sram_uncorrectable``. "N/A" means not supported → None.

``<attached_gpus>`` must equal the number of ``<gpu>`` elements, so an output cut between GPUs
(and re-closed by a log shipper) is still caught; a cut inside the document is an XML error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bootstrap.facts.base import require_text
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.gpus import Gpu, GpuInventory

KIND = "nvidia-smi-xml"
_NUMBER = re.compile(r"^(-?\d+(?:\.\d+)?)")


def _text(node: ET.Element | None, *paths: str) -> str | None:
    """First present, supported value among `paths`; 'N/A'/'Not Supported'/'' → None."""
    if node is None:
        return None
    for path in paths:
        found = node.find(path)
        if found is not None and found.text is not None:
            value = found.text.strip()
            if value and value not in ("N/A", "Not Supported", "[N/A]", "Unknown Error"):
                return value
    return None


def _number(kind_field: str, value: str | None) -> float | None:
    """'120.45 W' → 120.45, '16x' → 16, '32 C' → 32; junk is a parse error, not None."""
    if value is None:
        return None
    match = _NUMBER.match(value)
    if not match:
        raise FactParseError(KIND, f"{kind_field}: {value!r} is not a number")
    return float(match.group(1))


def _int(field: str, value: str | None) -> int | None:
    number = _number(field, value)
    return None if number is None else int(number)


def _yes_no(field: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("Yes", "No"):
        raise FactParseError(KIND, f"{field}: {value!r} is not Yes/No")
    return value == "Yes"


def _ecc_uncorrected(gpu: ET.Element, scope: str) -> int | None:
    base = f"ecc_errors/{scope}/"
    names = (
        "sram_uncorrectable",
        "sram_uncorrectable_parity",
        "sram_uncorrectable_secded",
        "dram_uncorrectable",
    )
    values = [_int(base + name, _text(gpu, base + name)) for name in names]
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _throttle(gpu: ET.Element) -> tuple[str, ...] | None:
    group = gpu.find("clocks_event_reasons")
    if group is None:
        group = gpu.find("clocks_throttle_reasons")
    if group is None:
        return None
    active = []
    for child in group:
        name = re.sub(r"^clocks_(?:event|throttle)_reason_", "", child.tag)
        if (child.text or "").strip() == "Active":
            active.append(name)
    return tuple(sorted(active))


def _gpu(index: int, gpu: ET.Element) -> Gpu:
    bus_id = gpu.get("id")
    name = _text(gpu, "product_name")
    if not bus_id or not name:
        raise FactParseError(KIND, f"<gpu> #{index} lacks its id attribute or <product_name>")
    power = "gpu_power_readings" if gpu.find("gpu_power_readings") is not None else "power_readings"
    link = "pci/pci_gpu_link_info/"
    persistence = _text(gpu, "persistence_mode")
    minor = _int("minor_number", _text(gpu, "minor_number"))
    return Gpu(
        index=index if minor is None else minor,
        name=name,
        bus_id=bus_id,
        uuid=_text(gpu, "uuid"),
        serial=_text(gpu, "serial"),
        persistence_mode=None if persistence is None else persistence == "Enabled",
        temperature_c=_int("gpu_temp", _text(gpu, "temperature/gpu_temp")),
        performance_state=_text(gpu, "performance_state"),
        power_draw_w=_number(
            "power_draw",
            _text(
                gpu,
                f"{power}/instant_power_draw",
                f"{power}/power_draw",
                f"{power}/average_power_draw",
            ),
        ),
        power_limit_w=_number(
            "power_limit", _text(gpu, f"{power}/current_power_limit", f"{power}/power_limit")
        ),
        memory_used_mib=_int("fb_memory_usage/used", _text(gpu, "fb_memory_usage/used")),
        memory_total_mib=_int("fb_memory_usage/total", _text(gpu, "fb_memory_usage/total")),
        utilization_percent=_int("gpu_util", _text(gpu, "utilization/gpu_util")),
        compute_mode=_text(gpu, "compute_mode"),
        mig_mode=_text(gpu, "mig_mode/current_mig"),
        ecc_mode=_text(gpu, "ecc_mode/current_ecc"),
        ecc_volatile_uncorrected=_ecc_uncorrected(gpu, "volatile"),
        ecc_aggregate_uncorrected=_ecc_uncorrected(gpu, "aggregate"),
        row_remap_pending=_yes_no(
            "remapped_row_pending", _text(gpu, "remapped_rows/remapped_row_pending")
        ),
        row_remap_failure=_yes_no(
            "remapped_row_failure", _text(gpu, "remapped_rows/remapped_row_failure")
        ),
        row_remap_uncorrectable=_int(
            "remapped_row_unc", _text(gpu, "remapped_rows/remapped_row_unc")
        ),
        pcie_gen_current=_int("current_link_gen", _text(gpu, link + "pcie_gen/current_link_gen")),
        pcie_gen_max=_int("max_link_gen", _text(gpu, link + "pcie_gen/max_link_gen")),
        pcie_width_current=_int(
            "current_link_width", _text(gpu, link + "link_widths/current_link_width")
        ),
        pcie_width_max=_int("max_link_width", _text(gpu, link + "link_widths/max_link_width")),
        throttle_reasons_active=_throttle(gpu),
        fabric_state=_text(gpu, "fabric/state"),
        fabric_status=_text(gpu, "fabric/status"),
    )


def parse_xml(text: str) -> GpuInventory:
    """Parse ``nvidia-smi -q -x``.

    ElementTree does not fetch the external DTD named in ``<!DOCTYPE>``, and Python ≥3.11 with
    expat ≥2.4.1 refuses entity-expansion bombs, so untrusted node output is safe to parse here.
    """
    require_text(KIND, text)
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as exc:
        raise FactParseError(KIND, f"not well-formed XML (truncated?): {exc}") from None
    if root.tag != "nvidia_smi_log":
        raise FactParseError(KIND, f"root element is <{root.tag}>, expected <nvidia_smi_log>")
    driver = _text(root, "driver_version")
    if driver is None:
        raise FactParseError(KIND, "required element <driver_version> is missing")
    gpus = tuple(_gpu(i, node) for i, node in enumerate(root.findall("gpu")))
    attached = _int("attached_gpus", _text(root, "attached_gpus"))
    if attached is None:
        raise FactParseError(KIND, "required element <attached_gpus> is missing")
    if attached != len(gpus):
        raise FactParseError(KIND, f"<attached_gpus> says {attached} but {len(gpus)} <gpu> found")
    return GpuInventory(
        source_format="xml",
        driver_version=driver,
        cuda_version=_text(root, "cuda_version"),
        count=len(gpus),
        gpus=gpus,
    )
