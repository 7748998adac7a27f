"""gpu_power: cap every GPU at the pool's ``gpu_power_cap_w`` now (``nvidia-smi -pl``) and at
every boot (a oneshot unit: the limit lives in the driver and a reboot resets it).

A step of its own rather than part of nvidia_driver: it reports "skipped" when the pool sets
no cap, `--only gpu_power` re-applies a cap after a config change without re-checking the
driver packages, and changing the cap changes only this step's stamp.
"""

from __future__ import annotations

from bootstrap.render.jinja import render_text
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

GPU_POWER_UNIT = "gpufleet-gpu-power.service"
NVIDIA_SMI = "/usr/bin/nvidia-smi"  # where the driver packages (dnf and apt) install it


def build(inp: PoolInput) -> StepData:
    cap_w = inp.pool.gpu_power_cap_w
    if cap_w is None:
        return StepData(
            name="gpu_power",
            action="nothing",
            disabled="no GPU power cap (pools[].gpu_power_cap_w is not set)",
            vars={"cap_w": ""},
        )
    data = {"pool": inp.name, "cap_w": cap_w, "nvidia_smi": NVIDIA_SMI}
    return StepData(
        name="gpu_power",
        action=f"cap every GPU at {cap_w} W (nvidia-smi -pl) and enable {GPU_POWER_UNIT} to "
        "re-apply it at boot",
        params={"cap_w": cap_w},
        files=[
            {
                "path": f"/etc/systemd/system/{GPU_POWER_UNIT}",
                "mode": "0644",
                "content": render_text("steps/gpu_power.service.j2", **data),
            }
        ],
        units_on=[GPU_POWER_UNIT],
        vars={"cap_w": cap_w},
    )
