"""join_slurm: the node joins the cluster's Slurm (only when gpufleet:slurm is enabled), last,
after the GPU, RDMA and health steps: munge and slurmd at the pinned version, slurmd in
configless mode (``--conf-server``: slurm.conf, gres.conf, cgroup.conf and topology.conf come
from the controller, so one render on the controller serves every node), the pool's Slurm
health program and prolog, and a hostname equal to the node's Slurm name.

slurmd is enabled only once the munge key is on the node (pushed over SSH, never in user data:
docs/slurm.md "Secrets") and the node's own health verdict passes; otherwise the step fails
naming what is missing. Cluster-network instances carry OCI-generated names: their hostname is
set to the instance's display name, which is the name the inventory (and so slurm.conf) uses.

Sources: Slurm configless mode, slurmd ``--conf-server`` and ``SlurmctldParameters=
enable_configless`` (slurm.conf(5), Slurm >= 20.02; oci-hpc slurm.conf.j2 enables it); slurmd's
packaged units read ``SLURMD_OPTIONS`` from /etc/default/slurmd (Debian) and
/etc/sysconfig/slurmd (SchedMD's slurm.spec).
"""

from __future__ import annotations

from bootstrap.render.package import Package, plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData
from bootstrap.render.steps.health_timer import CHECKER_PYTHON

MUNGE_KEY = "/etc/munge/munge.key"
SLURMD_ENV = {"apt": "/etc/default/slurmd", "dnf": "/etc/sysconfig/slurmd"}
# The slurmd package of each family: Debian/Ubuntu "slurmd"; SchedMD's RPMs (and EPEL)
# "slurm-slurmd". The pinned version must be in a repository the node reaches (distributions
# carry one release each: build or mirror the pinned one, as oci-hpc does).
SLURMD_PACKAGE = {"apt": "slurmd", "dnf": "slurm-slurmd"}


def slurm_pin(version: str) -> str:
    """The pin of every Slurm daemon package, on nodes and controllers alike: the upstream
    version with whatever packaging revision its repository gave it (Ubuntu 24.04:
    23.11.4-1.2ubuntu5; a site's own build: -1.el9). Real apt refuses `slurmd=23.11.4` when
    the archive holds 23.11.4-1.2ubuntu5 and takes `slurmd=23.11.4-*`, as dnf does
    (tests/packages/test_join_slurm_packages.py)."""
    return f"{version}-*"


def slurm_packages(family: str, version: str) -> list[Package]:
    """munge and slurmd at `slurm_pin`."""
    return [*plain_packages("munge"), Package(SLURMD_PACKAGE[family], slurm_pin(version))]


def build(inp: PoolInput) -> StepData:
    # Imported here: bootstrap.slurm renders with bootstrap.render's Jinja environment, whose
    # package imports this step (a cycle at import time otherwise).
    from bootstrap.slurm.conf import controllers
    from bootstrap.slurm.render import health_program
    from bootstrap.slurm.site import SlurmSite

    slurm = inp.config.slurm
    if not slurm.enabled:
        return StepData(
            name="join_slurm",
            action="nothing",
            disabled="not enabled (gpufleet:slurm.enabled is false)",
        )
    site = SlurmSite(python=CHECKER_PYTHON[inp.os.name])
    servers = ",".join(f"{c.name}:{site.slurmctld_port}" for c in controllers(inp.config))
    health = health_program(inp.config, inp.pool, site)
    files = [
        {"path": site.health_program, "mode": "0755", "content": health},
        {
            "path": site.prolog,
            "mode": "0755",
            "content": f"#!/bin/sh\n# Slurm Prolog: fast checks before each job.\n"
            f"exec {site.health_program} --prolog\n",
        },
        {
            "path": SLURMD_ENV[inp.family],
            "mode": "0644",
            "content": f'SLURMD_OPTIONS="--conf-server {servers}"\n',
        },
    ]
    params = {
        "version": slurm.version,
        "conf_server": servers,
        "rename_to_display_name": inp.pool.mode == "cluster_network",
    }
    return StepData(
        name="join_slurm",
        action=f"install Slurm {slurm.version} and start slurmd (conf server {servers})",
        params=params,
        files=files,
        packages=slurm_packages(inp.family, slurm.version),
        units_on=["munge.service", "slurmd.service"],
        vars={
            "munge_key": MUNGE_KEY,
            "health_file": site.health_file,
            "rename": "yes" if params["rename_to_display_name"] else "",
        },
    )
