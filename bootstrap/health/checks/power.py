"""GPU power cap: with the pool's ``gpu_power_cap_w`` set, every GPU enforces that limit (within
1 W: nvidia-smi prints watts with two decimals and boards round); the bootstrap's gpu_power step
sets it (``nvidia-smi -pl``) and re-applies it at boot. Without a cap, a GPU enforcing less than
the shape's board power gets a warning (a leftover ``-pl`` slows training and nobody asked)."""

from __future__ import annotations

from bootstrap.facts.gpu_power import GpuPowerLimits
from bootstrap.health.checks.expectations import NodeExpectations
from bootstrap.health.findings import Finding, error, warning
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

TOLERANCE_W = 1.0


def check_cap(facts: NodeFacts, shape: Shape, expect: NodeExpectations) -> list[Finding]:
    limits = facts.need("gpu-power", GpuPowerLimits)
    cap = expect.gpu_power_cap_w
    out: list[Finding] = []
    for g in limits.gpus:
        name = f"gpu-power-cap:{g.index}"
        if cap is None:
            tdp = shape.gpu_tdp_w
            if tdp is not None and g.enforced_w is not None and g.enforced_w < tdp - TOLERANCE_W:
                out.append(
                    warning(
                        name,
                        f"GPU {g.index} enforces {g.enforced_w:g} W, below the {tdp} W board "
                        "power, but the pool sets no gpu_power_cap_w",
                        f"if unintended, `sudo nvidia-smi -i {g.index} -pl {tdp}` (or reboot); "
                        "if intended, set pools[].gpu_power_cap_w and re-run gpufleet bootstrap",
                    )
                )
            continue
        if g.enforced_w is None:
            problem = "does not report its enforced power limit"
        elif abs(g.enforced_w - cap) > TOLERANCE_W:
            problem = f"enforces {g.enforced_w:g} W"
        else:
            continue
        out.append(
            error(
                name,
                f"GPU {g.index} {problem}; the pool's cap is {cap} W",
                f"`gpufleet bootstrap --only gpu_power` (runs `nvidia-smi -pl {cap}` and enables "
                "the unit that re-applies it at boot); if nvidia-smi refuses the value, set a cap "
                "within the board's range (`nvidia-smi -q -d POWER`: Min/Max Power Limit)",
            )
        )
    return out
