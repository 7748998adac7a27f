"""health_timer: the node health checker zipapp (same facts, checks and gate as `gpufleet
health`), the wrapper that runs it, and the systemd timer that runs the wrapper every
`software.health_interval_minutes`. The pool's expectations beyond the shape (its GPU power cap)
become checker arguments."""

from __future__ import annotations

import base64
import hashlib

from bootstrap.nodecheck.zipapp import checker_pyz
from bootstrap.render.jinja import render_text
from bootstrap.render.package import plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

HEALTH_UNIT = "gpufleet-health"
HEALTH_CHECKER = "/usr/local/lib/gpufleet/gpufleet-health.pyz"  # bootstrap.nodecheck zipapp
HEALTH_OUT = "/var/lib/gpufleet/health.json"  # bootstrap.nodecheck.checker.OUT_PATH

# Interpreter for the checker, and its package: the shared fact and check modules need
# Python >= 3.11 (StrEnum, datetime.UTC), which OL8 (3.6), OL9 (3.9) and Ubuntu 22.04 (3.10) do
# not ship as python3; their repos carry python3.11 (Ubuntu 22.04: universe).
CHECKER_PYTHON = {
    "oracle-linux-8": "python3.11",
    "oracle-linux-9": "python3.11",
    "ubuntu-22.04": "python3.11",
    "ubuntu-24.04": "python3",  # 3.12
}


def build(inp: PoolInput) -> StepData:
    # validated 1..1440 by the stack config; default 5 = oci-hpc's HealthCheckInterval=300
    interval = inp.config.software.health_interval_minutes
    cap_w = inp.pool.gpu_power_cap_w
    python = CHECKER_PYTHON[inp.os.name]
    pyz = checker_pyz() if inp.checker else b""
    data = {
        "checker_args": ["--gpu-power-cap-w", str(cap_w)] if cap_w is not None else [],
        "pool": inp.name,
        "shape": inp.shape.name,
        "unit": HEALTH_UNIT,
        "interval_min": interval,
        "python": python,
        "checker": HEALTH_CHECKER,
        "out": HEALTH_OUT,
    }
    files = [
        {
            "path": "/usr/local/sbin/gpufleet-health",
            "mode": "0755",
            "content": render_text("steps/health_timer.check.sh.j2", **data),
        },
        {
            "path": f"/etc/systemd/system/{HEALTH_UNIT}.service",
            "mode": "0644",
            "content": render_text("steps/health_timer.service.j2", **data),
        },
        {
            "path": f"/etc/systemd/system/{HEALTH_UNIT}.timer",
            "mode": "0644",
            "content": render_text("steps/health_timer.timer.j2", **data),
        },
    ]
    sha = hashlib.sha256(pyz).hexdigest() if inp.checker else ""
    params = {"interval_min": interval, "checker": HEALTH_CHECKER, "checker_sha256": sha}
    return StepData(
        name="health_timer",
        action=f"install the health checker and start {HEALTH_UNIT}.timer (every {interval} min)",
        params=params,
        files=files,
        packages=plain_packages(python),
        units_on=[f"{HEALTH_UNIT}.timer"],
        vars=params | {"checker_b64": base64.b64encode(pyz).decode()},
    )
