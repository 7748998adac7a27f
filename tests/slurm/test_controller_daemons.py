"""The controller script against the real daemons: its write_conf and create_database steps
set up the suite's Slurm sandbox (namespaced MariaDB, paths of the sandbox's site), then
slurmdbd and slurmctld start from the files it wrote, its register_cluster step adds the
cluster through the real sacctmgr, and `sacctmgr show cluster` lists it."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.slurm import render_slurm
from bootstrap.slurm.controller import CONF_FILES, controller_script
from tests.slurm.mariadb import install_datadir
from tests.slurm.sandbox import SlurmSandbox, _wait
from tests.slurm.test_real_slurm import NEEDED, stack

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in NEEDED),
    reason="Slurm daemons not installed (.ci/run installs slurm-wlm slurmdbd munge mariadb-server)",
)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[SlurmSandbox]:
    """The controller's namespace with munged and a bare MariaDB: no Slurm files, no DB user."""
    sandbox = SlurmSandbox(tmp_path / "box", stack(), slurmd=False)
    try:
        sandbox._files()  # munge key, folders, and slurmdbd.conf with StoragePass (push-secrets')
        for name in CONF_FILES:
            (sandbox.root / "etc" / name).unlink()
        sandbox._network()
        sandbox._munge()
        install_datadir(sandbox.root / "db")
        sandbox.start_mariadb()
        yield sandbox
    finally:
        sandbox.stop()


def steps(box: SlurmSandbox, script: Path, only: str) -> dict[str, str]:
    defaults = box.root / "client.cnf"
    defaults.write_text(f"[client]\nsocket={box.root / 'run' / 'mysqld.sock'}\n")
    env = {"GF_PKG_FAMILY": "apt", "GF_MYSQL_DEFAULTS": str(defaults), "GF_ROOT": "",
           "PATH": os.environ["PATH"]}  # fmt: skip
    out = box.run("bash", str(script), "--only", only, env=env, timeout=120)
    return {(line := json.loads(text))["step"]: line["status"] for text in out.splitlines()}


def test_daemons_start_from_what_the_script_wrote(box: SlurmSandbox, tmp_path: Path) -> None:
    script = tmp_path / "controller.sh"
    script.write_text(controller_script(box.config, render_slurm(box.config, box.site), box.site))
    done = steps(box, script, "write_conf,create_database")
    assert (done["write_conf"], done["create_database"]) == ("changed", "changed")
    assert (box.root / "etc" / "slurm.conf").exists()

    box.start_slurmdbd()
    assert steps(box, script, "register_cluster")["register_cluster"] == "changed"
    assert box.run("sacctmgr", "-n", "-P", "show", "cluster", "format=cluster").split() == ["gft"]
    assert steps(box, script, "register_cluster")["register_cluster"] == "ok"

    box.daemon(
        "slurmctld", box.ctl, ["slurmctld", "-D", "-f", str(box.root / "etc" / "slurm.conf")]
    )
    _wait("slurmctld", lambda: "UP" in box.run("scontrol", "ping", check=False), 120)
    again = steps(box, script, "write_conf,create_database,register_cluster")
    assert set(again.values()) == {"ok", "skipped"} and again["create_database"] == "ok"
