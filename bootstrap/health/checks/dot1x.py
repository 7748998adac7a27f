"""802.1X on every RDMA netdev: ``Supplicant PAE state=AUTHENTICATED`` (oci-hpc
check_gpu_setup.py ``check_wpa_auth``, facts/oci.md §3.5, §5.1). Gathered per netdev as fact
``wpa-cli.<netdev>``."""

from __future__ import annotations

from bootstrap.facts.dot1x import Dot1xStatus
from bootstrap.health.checks.rdma import rdma_netdevs
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import FactUnavailable, NodeFacts
from infra.shapes import Shape


def check_dot1x(facts: NodeFacts, shape: Shape) -> list[Finding]:
    out: list[Finding] = []
    for dev, netdev in rdma_netdevs(facts, shape).items():
        remedy = (
            f"`sudo systemctl restart wpa_supplicant@{netdev}` (or the OCA 'Compute HPC RDMA "
            "Authentication' plugin); check its certificate; clusters without 802.1X: "
            "--ignore-check dot1x"
        )
        try:
            status = facts.need(f"wpa-cli.{netdev}", Dot1xStatus)
        except FactUnavailable as exc:
            out.append(error(f"dot1x:{netdev}", f"802.1X state of {netdev}: {exc.reason}", remedy))
            continue
        if not status.authenticated:
            out.append(
                error(
                    f"dot1x:{netdev}",
                    f"{netdev} ({dev}) not 802.1X-authenticated (PAE {status.pae_state}, "
                    f"EAP {status.eap_state}, port {status.port_status})",
                    remedy,
                )
            )
    return out
