"""The controller's setup script: the pinned Slurm, munge and MariaDB packages, the rendered
files with their owners and modes, the accounting database and its user, the daemons started
in order (munge, slurmdbd, slurmctld) and the cluster registered in accounting.

    >>> "register_cluster" in controller_script(config, render_slurm(config))
    True

The script reads the DB password from slurmdbd.conf's StoragePass line, which only
``gpufleet slurm push-secrets --db-password-file`` writes (bootstrap.slurm.secrets); the
rendered text carries no secret.

Packages: Debian/Ubuntu name the daemons ``slurmctld``/``slurmdbd`` and the client tools
(sacctmgr) ``slurm-client`` (Debian 12 package list); SchedMD's slurm.spec builds
``slurm-slurmctld``, ``slurm-slurmdbd`` and ``slurm`` (the clients). Distributions carry one
Slurm release each, so the pinned version must come from a repository the controller reaches
that holds it (built from SchedMD's tarball or mirrored, as for the nodes: docs/slurm.md).
"""

from __future__ import annotations

import base64

from bootstrap.render.jinja import render_text
from bootstrap.render.package import Package, PkgFamily, plain_packages
from bootstrap.render.steps.join_slurm import slurm_pin
from bootstrap.slurm.conf import controllers, state_dir
from bootstrap.slurm.site import SlurmSite
from infra.config import StackConfig

SLURM_PACKAGES: dict[PkgFamily, tuple[str, ...]] = {
    "apt": ("slurmctld", "slurmdbd", "slurm-client"),
    "dnf": ("slurm-slurmctld", "slurm-slurmdbd", "slurm"),
}
DB_NAME, DB_USER = "slurm_acct_db", "slurm"  # slurmdbd.conf StorageLoc / StorageUser
CONF_FILES = ("slurm.conf", "gres.conf", "cgroup.conf", "topology.conf")


def controller_packages(
    config: StackConfig, family: PkgFamily, *, backup: bool = False
) -> list[Package]:
    """munge and mariadb-server from the OS; the Slurm daemons at the pinned version (a backup
    controller runs no slurmdbd and no database)."""
    base = ["munge"]
    if config.slurm.accounting.database == "mariadb" and not backup:
        base.append("mariadb-server")
    names = [n for n in SLURM_PACKAGES[family] if not (backup and n.endswith("slurmdbd"))]
    # The same pin as the nodes' slurmd (join_slurm), so one site repository serves both.
    pinned = [Package(name, slurm_pin(config.slurm.version)) for name in names]
    return [*plain_packages(*base), *pinned]


def controller_script(
    config: StackConfig,
    files: dict[str, str],
    site: SlurmSite | None = None,
    *,
    backup: bool = False,
) -> str:
    """The bash script for the controller, from `render_slurm`'s files (deterministic); with
    `backup`, for the backup controller: slurmctld only (accounting runs on the primary)."""
    site = site or SlurmSite()
    owned = [(name, "root:root", "0644") for name in CONF_FILES]
    units = ["munge"]
    if not backup:
        owned.append(("slurmdbd.conf", f"{site.slurm_user}:{site.slurm_user}", "0600"))
        if config.slurm.accounting.database == "mariadb":
            units.append("mariadb")
        units.append("slurmdbd")
    units.append("slurmctld")
    families: tuple[PkgFamily, ...] = ("apt", "dnf")
    return render_text(
        "slurm/controller.sh.j2",
        cluster=config.cluster_name,
        version=config.slurm.version,
        database=config.slurm.accounting.database,
        role="backup" if backup else "primary",
        db_name=DB_NAME,
        db_user=DB_USER,
        db_host=site.db_host,
        db_port=site.db_port,
        slurm_user=site.slurm_user,
        dbd_conf=site.path(site.conf_dir, "slurmdbd.conf"),
        units=units,
        packages=[
            {"family": fam, "name": p.name, "version": p.version or "", "spec": p.spec(fam)}
            for fam in families
            for p in controller_packages(config, fam, backup=backup)
        ],
        files=[
            {
                "path": site.path(site.conf_dir, name),
                "owner": owner,
                "mode": mode,
                "b64": base64.b64encode(files[name].encode()).decode(),
            }
            for name, owner, mode in owned
        ],
        dirs=[state_dir(config, site, controllers(config)), site.log_dir],
    )
