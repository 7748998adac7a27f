"""GPU checks from `nvidia-smi` (XML preferred): count, model, ECC, row remapping, PCIe width,
throttling, persistence. Rules and actions follow oci-hpc ``check_gpu_setup.py`` (facts/oci.md
§5.1, §5.3): any uncorrectable ECC fails; row remap pending → Reboot, failure or more than 512
uncorrectable → Terminate; every GPU at PCIe x16."""

from __future__ import annotations

from bootstrap.facts.gpus import Gpu, GpuInventory
from bootstrap.health.findings import Finding, error, warning
from bootstrap.health.node_facts import NodeFacts, gpu_inventory
from infra.shapes import Shape

REPLACE = "quarantine the node (`gpufleet quarantine add NODE --reason ...`) and replace it"
# oci-hpc check_gpu_setup.py: more than 512 uncorrectable remapped rows -> Terminate.
ROW_REMAP_UNC_LIMIT = 512
PCIE_WIDTH = 16  # oci-hpc check_gpu_setup.py: every GPU link must be x16
# Clock-event reasons that mean the hardware is slowing the GPU (not idle/app clocks).
SLOWDOWNS = frozenset(
    {"hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown", "sw_thermal_slowdown"}
)


def model_token(shape: Shape) -> str:
    """'H100 80GB HBM3' -> 'H100': the part nvidia-smi's product name must contain."""
    return shape.gpu_model.split()[0]


def check_count(facts: NodeFacts, shape: Shape) -> list[Finding]:
    inv = gpu_inventory(facts)
    if inv.count == shape.gpu_count:
        return []
    return [
        error(
            "gpu-count",
            f"{inv.count} GPU{'' if inv.count == 1 else 's'} visible, "
            f"{shape.name} has {shape.gpu_count}",
            "look for Xid 79 (fallen off the bus) in `dmesg`, reboot; if GPUs are still "
            f"missing, {REPLACE}",
        )
    ]


def check_model(facts: NodeFacts, shape: Shape) -> list[Finding]:
    token = model_token(shape)
    wrong = [g for g in gpu_inventory(facts).gpus if token not in g.name]
    if not wrong:
        return []
    names = ", ".join(sorted({g.name for g in wrong}))
    return [
        error(
            "gpu-model",
            f"GPU model {names} on a node listed as {shape.name} (expects {token})",
            "fix the node's shape in the inventory/stack config, or move the node to its pool",
        )
    ]


def _unreported(check: str, what: str, inv: GpuInventory) -> Finding:
    return error(
        check,
        f"{what} not reported by this nvidia-smi output ({inv.source_format} format)",
        "gather `nvidia-smi -q -x` (the plain table lacks it); if this GPU model has no such "
        f"counter, run with --ignore-check {check}",
    )


def check_ecc(facts: NodeFacts, shape: Shape) -> list[Finding]:
    inv = gpu_inventory(facts)
    out: list[Finding] = []
    for g in inv.gpus:
        counts = (g.ecc_volatile_uncorrected, g.ecc_aggregate_uncorrected)
        if all(c is None for c in counts):
            return [_unreported("gpu-ecc", "uncorrectable ECC counters", inv)]
        if any(c for c in counts):
            out.append(
                error(
                    f"gpu-ecc:{g.index}",
                    f"GPU {g.index} ({g.bus_id}) has uncorrectable ECC errors "
                    f"(volatile {g.ecc_volatile_uncorrected}, "
                    f"aggregate {g.ecc_aggregate_uncorrected})",
                    f"reset the GPU (`nvidia-smi -r -i {g.index}`) or reboot; if the aggregate "
                    f"count keeps growing, {REPLACE}",
                )
            )
    return out


def _row_remap(g: Gpu) -> Finding | None:
    where = f"GPU {g.index} ({g.bus_id})"
    if g.row_remap_failure:
        return error(f"gpu-row-remap:{g.index}", f"{where}: row remapping failed", REPLACE)
    unc = g.row_remap_uncorrectable or 0
    if unc > ROW_REMAP_UNC_LIMIT:
        return error(
            f"gpu-row-remap:{g.index}",
            f"{where}: {unc} rows remapped for uncorrectable errors (limit {ROW_REMAP_UNC_LIMIT})",
            REPLACE,
        )
    if g.row_remap_pending:
        return error(
            f"gpu-row-remap:{g.index}",
            f"{where}: a row remap is pending",
            "reboot the node (or reset the GPU) so the pending remap takes effect",
        )
    return None


def check_row_remap(facts: NodeFacts, shape: Shape) -> list[Finding]:
    inv = gpu_inventory(facts)
    if any(g.row_remap_pending is None or g.row_remap_failure is None for g in inv.gpus):
        return [_unreported("gpu-row-remap", "row remapping state", inv)]
    return [f for g in inv.gpus if (f := _row_remap(g)) is not None]


def check_pcie(facts: NodeFacts, shape: Shape) -> list[Finding]:
    inv = gpu_inventory(facts)
    out: list[Finding] = []
    for g in inv.gpus:
        if g.pcie_width_current is None:
            return [_unreported("gpu-pcie", "PCIe link width", inv)]
        expected = max(g.pcie_width_max or PCIE_WIDTH, PCIE_WIDTH)
        if g.pcie_width_current < expected:
            out.append(
                error(
                    f"gpu-pcie:{g.index}",
                    f"GPU {g.index} ({g.bus_id}) PCIe link is x{g.pcie_width_current}, "
                    f"expected x{expected}",
                    f"reboot; a link that trains below x{expected} again is a hardware fault: "
                    f"{REPLACE}",
                )
            )
    return out


def check_throttle(facts: NodeFacts, shape: Shape) -> list[Finding]:
    out: list[Finding] = []
    for g in gpu_inventory(facts).gpus:
        active = sorted(SLOWDOWNS.intersection(g.throttle_reasons_active or ()))
        if active:
            out.append(
                warning(
                    f"gpu-throttle:{g.index}",
                    f"GPU {g.index} ({g.bus_id}) clocks slowed: {', '.join(active)}",
                    "check temperature and power (`nvidia-smi -q -d PERFORMANCE,TEMPERATURE`); "
                    "if it persists at idle, open a hardware case",
                )
            )
    return out


def check_persistence(facts: NodeFacts, shape: Shape) -> list[Finding]:
    off = [g.index for g in gpu_inventory(facts).gpus if g.persistence_mode is False]
    if not off:
        return []
    return [
        warning(
            "gpu-persistence",
            f"persistence mode off on GPU(s) {', '.join(map(str, off))}",
            "enable `nvidia-persistenced` (systemctl enable --now nvidia-persistenced)",
        )
    ]
