"""Node bootstrap rendering: per pool, one idempotent bash script, its cloud-init and nccl.conf.

    render_pool(config, pool) -> {"bootstrap.sh": ..., "cloud-init.yaml": ..., "nccl.conf": ...}
    render_all(config, out_dir) -> manifest   (OUT/<pool>/<file> + OUT/manifest.json)
    user_data_b64(config) -> {pool: base64}   (each <= 32,000 bytes with the ssh key)

bootstrap.sh embeds the node health checker (a zipapp of the same facts/checks/gate code, see
`bootstrap.nodecheck`); the copy inside cloud-init.yaml (`engine.first_boot_script`) leaves it
out to fit the metadata cap, so until `gpufleet bootstrap` runs, the node's
/var/lib/gpufleet/health.json says "checker not yet installed" (a fail, never a pass).

Rendering is per pool, never per node: node-specific values (shape, RDMA addresses, File
Storage address) are read on the node from instance metadata (IMDS v2). Everything computed
(HCA lists, NCCL values, per-NIC sysctls, package names and pins per OS, the step list) comes
from `context.build_context`; the Jinja templates in `templates/` only lay it out, and every
printed value passes a filter that makes it safe where it lands (`jinja.py`).

The rendered script (see its header) prints one JSON line per step on stdout:
    {"step": "nccl", "status": "ok", "message": "NCCL packages ...", "seconds": 0.042}
status is one of ok | changed | failed | skipped; with --check, "changed" means "would change"
and the message starts with "would".

Exit codes of the rendered script:
    0  every selected step ok, changed or skipped (--check: nothing failed)
    1  internal error outside any step
    2  usage error: unknown option or step name
    3  preflight failed: not root, wrong shape or OS, too little disk, metadata unreadable
    4  a step failed (apply errored, or still not right after apply); its status line names it
    5  another run holds the lock

Errors: see `errors.py` (RenderError, UserDataTooLarge). AMD shapes raise RenderError
("not supported yet") at render time.
"""

from bootstrap.render.context import STEPS
from bootstrap.render.engine import (
    METADATA_CAP_BYTES,
    render_all,
    render_pool,
    user_data_b64,
)
from bootstrap.render.errors import RenderError, UserDataTooLarge

EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "internal error",
    2: "usage error",
    3: "preflight failed",
    4: "step failed",
    5: "locked",
}

__all__ = [
    "EXIT_CODES",
    "METADATA_CAP_BYTES",
    "STEPS",
    "RenderError",
    "UserDataTooLarge",
    "render_all",
    "render_pool",
    "user_data_b64",
]
