"""bootstrap.sh for one pool: every step's data laid out by `templates/bootstrap.sh.j2`.

The render walks engine -> `steps.build_all` (one module per step) -> this context -> the
template, which includes each step's own section `templates/steps/<step>.sh.j2` twice: its
data (readonly variables, in the script's data header) and its check/apply functions.
"""

from __future__ import annotations

from typing import Any

from bootstrap.render.jinja import render_text
from bootstrap.render.pool_input import PoolInput, pool_input
from bootstrap.render.step import StepData
from bootstrap.render.steps import build_all
from infra.config import Pool, StackConfig

IMDS_URL = "http://169.254.169.254/opc/v2"  # IMDS v2; header "Authorization: Bearer Oracle"
INSTALLED_PATH = (
    "/usr/local/sbin/gpufleet-bootstrap"  # cloud-init writes it; the resume unit runs it
)
STATUS_FILE = (
    "/var/lib/gpufleet/bootstrap.json"  # the node's bootstrap state, see the script header
)
RESUME_UNIT = "gpufleet-bootstrap-resume.service"
RESUME_FLAG = "/var/lib/gpufleet/state/resume"  # the unit runs only while this exists


def script_context(inp: PoolInput, steps: list[StepData]) -> dict[str, Any]:
    """The template's input: the pool, each step's data, and the managed resources as flat
    lists (one entry per package, file, unit or module, tagged with its step)."""
    family = inp.os.family
    return {
        "cluster": inp.cluster,
        "pool": inp.name,
        "shape": inp.shape.name,
        "os": inp.os.name,
        "pkg_family": family,
        "imds_url": IMDS_URL,
        "status_file": STATUS_FILE,
        "installed_path": INSTALLED_PATH,
        "resume_unit": RESUME_UNIT,
        "resume_unit_text": resume_unit(inp.name),
        "steps": [
            {
                "name": s.name,
                "digest": s.digest(),
                "action": s.action,
                "disabled": s.disabled,
                "template": s.template,
                "vars": s.vars,
            }
            for s in steps
        ],
        "files": [f | {"step": s.name} for s in steps for f in s.files],
        "packages": [
            {"step": s.name, "name": p.name, "version": p.version or "", "spec": p.spec(family)}
            for s in steps
            for p in s.packages
        ],
        "units_on": [{"step": s.name, "unit": u} for s in steps for u in s.units_on],
        "units_off": [{"step": s.name, "unit": u} for s in steps for u in s.units_off],
        "modules": [{"step": s.name, "module": m} for s in steps for m in s.modules],
    }


def resume_unit(pool: str) -> str:
    """The systemd unit that resumes the bootstrap at boot while a reboot is pending."""
    return render_text("resume.service.j2", pool=pool, flag=RESUME_FLAG, script=INSTALLED_PATH)


def build_context(config: StackConfig, pool: Pool, *, checker: bool = True) -> dict[str, Any]:
    """Every value bootstrap.sh of one pool needs. Raises RenderError on anything unsupported.

    `checker=False` leaves the node-side health checker out (the first-boot copy in cloud-init,
    which must fit OCI's metadata cap): its health_timer step installs the timer and reports the
    checker missing until `gpufleet bootstrap` pushes the full script.

    >>> ctx = build_context(config, config.pools[0])          # doctest: +SKIP
    >>> [s["name"] for s in ctx["steps"]][:3]                 # doctest: +SKIP
    ['preflight', 'os_tuning', 'local_nvme']
    """
    inp = pool_input(config, pool, checker=checker)
    return script_context(inp, build_all(inp))


def step_of(ctx: dict[str, Any], name: str) -> dict[str, Any]:
    """One step's entry in a `build_context` result."""
    return next(s for s in ctx["steps"] if s["name"] == name)


def render_script(config: StackConfig, pool: Pool, *, checker: bool = True) -> str:
    return render_text("bootstrap.sh.j2", **build_context(config, pool, checker=checker))
