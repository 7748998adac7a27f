"""NVSwitch fabric: every GPU "Completed"/"Success" in `nvidia-smi -q` (oci-hpc
check_gpu_setup.py fabric-manager check, facts/oci.md §5.1). Applies to shapes with NVSwitch and
a per-node Fabric Manager (GB200 NVL72 racks use IMEX instead)."""

from __future__ import annotations

from bootstrap.facts.fabric_manager import FabricStatus
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape


def applies(shape: Shape) -> bool:
    return shape.gpu_vendor == "nvidia" and shape.nvswitch and not shape.needs_gpu_memory_cluster


def check_fabric(facts: NodeFacts, shape: Shape) -> list[Finding]:
    status = facts.need("fabric-manager", FabricStatus)
    bad = [g for g in status.gpus if not g.healthy]
    if not bad:
        return []
    states = "; ".join(
        f"{g.bus_id}: state {g.state or 'N/A'}, status {g.status or 'N/A'}" for g in bad
    )
    return [
        error(
            "fabric-manager",
            f"{len(bad)} GPU(s) not registered with the NVSwitch fabric ({states})",
            "restart Fabric Manager (`sudo systemctl restart nvidia-fabricmanager`; its version "
            "must equal the driver's); if the state stays not Completed, reboot",
        )
    ]
