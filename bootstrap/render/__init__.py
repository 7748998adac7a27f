"""Node bootstrap rendering: per pool, one idempotent bash script, its cloud-init and nccl.conf.

    render_pool(config, pool) -> {"bootstrap.sh": ..., "cloud-init.yaml": ..., "nccl.conf": ...}
    render_all(config, out_dir) -> manifest   (OUT/<pool>/<file> + OUT/manifest.json)
    user_data_b64(config) -> {pool: base64}   (each <= 32,000 bytes with the ssh key)

bootstrap.sh embeds the node health checker (a zipapp of the same facts/checks/gate code, see
`bootstrap.nodecheck`); the copy inside cloud-init.yaml (`engine.first_boot_script`) leaves it
out to fit the metadata cap, so until `gpufleet bootstrap` runs, the node's
/var/lib/gpufleet/health.json says "checker not yet installed" (a fail, never a pass).

Rendering is per pool, never per node: node-specific values (shape, RDMA addresses, File
Storage address) are read on the node from instance metadata (IMDS v2).

One step lives in one place: `steps/<step>.py` computes everything it needs (packages and pins
per OS, files, units, HCA lists, NCCL values, sysctls) and `templates/steps/<step>.sh.j2` holds
its bash check + apply; the render walks engine -> `script.build_context` (every step's
`build`, in `steps.ORDER`) -> `templates/bootstrap.sh.j2`, which lays out each step's data and
code and the shared library (`templates/lib/`; package installs: `lib/pkg.sh.j2`). Templates
only lay data out, and every printed value passes a filter that makes it safe where it lands
(`jinja.py`).

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
    6  a step needs a reboot (its status line says why; the later steps report skipped); with
       --reboot the node reboots in a minute, and gpufleet-bootstrap-resume.service resumes
       the bootstrap at the next boot. The node's state: /var/lib/gpufleet/bootstrap.json.

Reboot and resume (templates/lib/reboot.sh.j2): a step whose apply leaves a gap only a reboot
closes sets GF_REBOOT_REASON in its check (nvidia_driver: the pinned driver is installed, another
one, or none, is loaded; nvidia-smi then says "Driver/library version mismatch"). The run then
records "<step> <digest> <boot id>" in /var/lib/gpufleet/state/reboot, arms the resume unit
(gpufleet-bootstrap-resume.service, conditioned on the flag /var/lib/gpufleet/state/resume; the
script copies itself to /usr/local/sbin/gpufleet-bootstrap, which the unit runs), reports the
later steps skipped, and with --reboot (cloud-init passes it) schedules `shutdown -r +1`; exit 6.
At the next boot the unit runs `--resume`: every step is checked again (those done report ok)
and the rest apply. If the same change (same step and digest) still needs a reboot at another
boot id, the step fails: one reboot per change. A run that ends ok or failed removes the flag,
so a failure never loops.

Errors: see `errors.py` (RenderError, UserDataTooLarge). AMD shapes raise RenderError
("not supported yet") at render time.
"""

from bootstrap.render.engine import (
    METADATA_CAP_BYTES,
    render_all,
    render_pool,
    user_data_b64,
)
from bootstrap.render.errors import RenderError, UserDataTooLarge
from bootstrap.render.steps import STEPS

EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "internal error",
    2: "usage error",
    3: "preflight failed",
    4: "step failed",
    5: "locked",
    6: "reboot required",
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
