"""Xid events in the kernel log since boot (NVIDIA "Xid Errors" catalog,
docs.nvidia.com/deploy/xid-errors; actions as oci-hpc check_gpu_setup.py, facts/oci.md §5.3).

Xids caused by applications are warnings; hardware/driver Xids are errors; an Xid not in the
table is an error too (unknown never passes)."""

from __future__ import annotations

from bootstrap.facts.xid import XidEvents
from bootstrap.health.findings import Finding, error, warning
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

REBOOT = "reboot the node; if the Xid returns, quarantine and replace it"
RESET = "reset the GPU (`nvidia-smi -r -i N`) or reboot; if it returns, quarantine the node"
TERMINATE = "quarantine the node (`gpufleet quarantine add`) and replace it"

# code -> (is it the application's fault, meaning, remedy)
XID_CATALOG: dict[int, tuple[bool, str, str]] = {
    13: (True, "graphics engine exception", "check the application; none needed for the node"),
    31: (True, "GPU memory page fault", "check the application; none needed for the node"),
    43: (True, "GPU stopped processing", "check the application; none needed for the node"),
    45: (True, "preemptive cleanup", "none: follows another Xid or a killed process"),
    48: (False, "double-bit ECC error", RESET),
    61: (False, "internal micro-controller breakpoint", RESET),
    62: (False, "internal micro-controller halt", RESET),
    63: (True, "ECC page retirement / row remap recorded", "see the gpu-row-remap check"),
    64: (False, "ECC page retirement / row remap failure", TERMINATE),
    74: (False, "NVLink error", RESET),
    79: (False, "GPU has fallen off the bus", REBOOT),
    92: (True, "high single-bit ECC error rate", "watch; see the gpu-ecc check"),
    94: (False, "contained ECC error", RESET),
    95: (False, "uncontained ECC error", REBOOT),
    119: (False, "GSP RPC timeout", REBOOT),
    120: (False, "GSP error", REBOOT),
}


def check_xid(facts: NodeFacts, shape: Shape) -> list[Finding]:
    events = facts.need("xid", XidEvents).events
    out: list[Finding] = []
    for code in sorted({e.xid for e in events}):
        gpus = sorted({e.pci for e in events if e.xid == code})
        where = f"Xid {code} on {', '.join(gpus)}"
        app, meaning, remedy = XID_CATALOG.get(
            code, (False, "not in gpufleet's Xid table", "look it up in NVIDIA's Xid catalog")
        )
        make = warning if app else error
        out.append(make(f"gpu-xid:{code}", f"{where}: {meaning}", remedy))
    return out
