"""Every shipped example stack's slurm.conf, gres.conf and topology.conf read by a real
slurmctld (Debian's 22.05): it starts, knows every node of the stack with its GPUs, and builds
its switch tree without complaint. The 100k-GPU stack included.

The controller runs alone (no slurmd, no slurmdbd: accounting is exercised by
test_real_slurm.py), in a network namespace of its own.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bootstrap.slurm.conf import gpu_type
from infra.config import load_stack_file
from tests.infra.conftest import STACKS, stack_id
from tests.slurm.sandbox import SlurmSandbox

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("slurmctld", "munged", "ip", "nsenter", "unshare")),
    reason="Slurm daemons not installed (.ci/run installs slurm-wlm munge)",
)
# Lines about this machine, not our files: first start (no state saved yet), no /bin/mail,
# Debian's mpi/pmix plugin without libpmix, no slurmdbd and no backup controller running in this
# sandbox (slurmctld asks the backup to stand down at start and logs that none answered).
NOT_OURS = re.compile(
    r"(state file|state save file|No .* state file|Information may be lost|Jobs may be lost"
    r"|Reservations may be lost|Triggers may be lost|MailProg is invalid|pmix|PMIx|mpi/pmix"
    r"|MPI: Cannot create context|accounting information gathered, but not stored"
    r"|asked for it not to be stored|_shutdown_bu_thread)"
)


@pytest.mark.parametrize("stack", STACKS, ids=stack_id)
def test_slurmctld_accepts_the_rendered_files(stack: Path, tmp_path: Path) -> None:
    config = load_stack_file(stack)
    config = config.model_copy(update={"slurm": config.slurm.model_copy(update={"enabled": True})})
    box = SlurmSandbox(tmp_path, config, accounting=False, slurmd=False)
    try:
        box.start()
        summary = box.run("sinfo", "-h", "-o", "%D %G", timeout=120)
        total = sum(int(line.split()[0]) for line in summary.splitlines())
        assert total == config.total_nodes
        gres = {line.split()[1] for line in summary.splitlines()}
        assert gres == {f"gpu:{gpu_type(p.spec)}:{p.spec.gpu_count}" for p in config.pools}
        topology = box.run("scontrol", "show", "topology", timeout=120)
        assert "Nodes=" in topology
    finally:
        box.stop()
    log = (tmp_path / "log" / "slurmctld.log").read_text()
    errors = [ln for ln in log.splitlines() if "error" in ln.lower() and not NOT_OURS.search(ln)]
    assert errors == [], "\n".join(errors[:20])
