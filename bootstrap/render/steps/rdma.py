"""rdma: MTU on the shape's RDMA ports, then wait for the Oracle Cloud Agent RDMA plugins
(addresses, 802.1X) to finish."""

from __future__ import annotations

from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

# oci-hpc runs its passive checks every 300 s (slurm.conf.j2 HealthCheckInterval=300).
OCA_WAIT_S = 900  # how long the rdma step waits for the OCA RDMA plugins to finish
OCA_STATE = "/var/run/oci-hpc/oci-hpc-rdma-configure.json"


def build(inp: PoolInput) -> StepData:
    shape = inp.shape
    return StepData(
        name="rdma",
        action=f"set MTU {shape.rdma_mtu} on the RDMA ports and wait for the OCA RDMA "
        "plugins (addresses, 802.1X)",
        params={"devices": list(shape.rdma_devices), "mtu": shape.rdma_mtu},
        vars={
            "devices": list(shape.rdma_devices),
            "mtu": shape.rdma_mtu,
            "oca_state": OCA_STATE,
            "oca_wait_s": OCA_WAIT_S,
        },
    )
