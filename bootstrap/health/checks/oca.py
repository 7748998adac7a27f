"""The Oracle Cloud Agent: its RDMA plugin finished (``state`` is ``COMPLETED`` in
``/var/run/oci-hpc/oci-hpc-rdma-configure.json``; action when not: Wait_For_OCA), and the agent
is at least 1.39.0. Both from oci-hpc check_gpu_setup.py (facts/oci.md §5.1)."""

from __future__ import annotations

from bootstrap.facts.oca_rdma import OcaRdmaStatus
from bootstrap.facts.oca_version import OcaVersion
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


# oci-hpc check_gpu_setup.py: Oracle Cloud Agent older than 1.39.0 fails (facts/oci.md §5.1).
OCA_MIN_VERSION = (1, 39, 0)


def check_version(facts: NodeFacts, shape: Shape) -> list[Finding]:
    oca = facts.need("oca-version", OcaVersion)
    want = ".".join(map(str, OCA_MIN_VERSION))
    if oca.installed and oca.release is not None and oca.release >= OCA_MIN_VERSION:
        return []
    what = f"is {oca.version}" if oca.installed else "is not installed"
    return [
        error(
            "oca-version",
            f"Oracle Cloud Agent {what}; at least {want} is required (RDMA plugins)",
            f"update it (`sudo dnf update oracle-cloud-agent`, on Ubuntu `sudo snap refresh "
            f"oracle-cloud-agent`) to {want} or later, or use a newer OCI GPU image",
        )
    ]
