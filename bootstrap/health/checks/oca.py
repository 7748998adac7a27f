"""The Oracle Cloud Agent RDMA plugin finished: ``state`` is ``COMPLETED`` in
``/var/run/oci-hpc/oci-hpc-rdma-configure.json`` (oci-hpc check_gpu_setup.py, facts/oci.md §5.1;
its action when not: Wait_For_OCA)."""

from __future__ import annotations

from bootstrap.facts.oca_rdma import OcaRdmaStatus
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape


def check_oca(facts: NodeFacts, shape: Shape) -> list[Finding]:
    status = facts.need("oca-rdma", OcaRdmaStatus)
    if status.completed:
        return []
    return [
        error(
            "oca-rdma",
            f"OCA RDMA auto-configuration state is {status.state}, not COMPLETED",
            "wait for the Oracle Cloud Agent plugin (minutes after boot), then check "
            "`sudo systemctl status oracle-cloud-agent` and that the 'Compute HPC RDMA "
            "Auto-Configuration' plugin is enabled for the instance",
        )
    ]
