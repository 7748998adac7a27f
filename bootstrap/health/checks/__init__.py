"""The table of node checks and the loop that runs them all.

Each `Check` is a family name (what ``--ignore-check`` accepts), the fact kinds it needs, which
shapes it applies to, and a pure function ``(NodeFacts, Shape) -> list[Finding]``; a check whose
expected value comes from the stack config, not the shape catalog (the pool's GPU power cap), is
marked ``expects=True`` and also gets the node's `NodeExpectations`. `run_checks` runs every
applicable check, always: a needed fact that is missing or unparseable becomes an error finding
of that check (never a pass), and so does a bug in a check.

    >>> [c.name for c in CHECKS][:3]
    ['gpu-count', 'gpu-model', 'gpu-ecc']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bootstrap.facts.registry import FACTS
from bootstrap.health.checks import (
    dot1x,
    fabric,
    gpu,
    identity,
    imex,
    nvlink,
    oca,
    power,
    rdma,
    rdma_ports,
    storage,
    xid,
)
from bootstrap.health.checks.expectations import NO_EXPECTATIONS, NodeExpectations
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import GPU_KEYS, FactUnavailable, NodeFacts
from infra.shapes import Shape

CheckFn = Callable[[NodeFacts, Shape], list[Finding]]
# (NodeFacts, Shape, NodeExpectations) -> findings, for a Check with expects=True.
ExpectingCheckFn = Callable[[NodeFacts, Shape, NodeExpectations], list[Finding]]


def _always(shape: Shape) -> bool:
    return True


def _nvidia(shape: Shape) -> bool:
    return shape.gpu_vendor == "nvidia"


@dataclass(frozen=True)
class Check:
    name: str
    needs: tuple[str, ...]  # fact kinds (FACTS keys) gathered for it
    run: Callable[..., list[Finding]]  # CheckFn, or ExpectingCheckFn when `expects`
    applies: Callable[[Shape], bool] = _always
    expects: bool = False  # run also gets the node's NodeExpectations

    def evaluate(self, facts: NodeFacts, shape: Shape, expect: NodeExpectations) -> list[Finding]:
        args: tuple[Any, ...] = (facts, shape, expect) if self.expects else (facts, shape)
        return self.run(*args)


_GPU = ("nvidia-smi-xml",)
_RDMA = ("ibdev2netdev", "ip-addr")

CHECKS: tuple[Check, ...] = (
    Check("gpu-count", _GPU, gpu.check_count, _nvidia),
    Check("gpu-model", _GPU, gpu.check_model, _nvidia),
    Check("gpu-ecc", _GPU, gpu.check_ecc, _nvidia),
    Check("gpu-row-remap", _GPU, gpu.check_row_remap, _nvidia),
    Check("gpu-pcie", _GPU, gpu.check_pcie, _nvidia),
    Check("gpu-throttle", _GPU, gpu.check_throttle, _nvidia),
    Check("gpu-persistence", _GPU, gpu.check_persistence, _nvidia),
    Check("gpu-power-cap", ("gpu-power",), power.check_cap, _nvidia, expects=True),
    Check("gpu-xid", ("xid",), xid.check_xid, _nvidia),
    Check("fabric-manager", ("fabric-manager",), fabric.check_fabric, fabric.applies),
    Check("nvlink", ("nvlink",), nvlink.check_nvlink, nvlink.applies),
    Check("imex", ("imex",), imex.check_imex, imex.applies),
    Check("rdma-link", ("ibdev2netdev",), rdma.check_links, rdma.applies),
    Check("rdma-address", _RDMA, rdma.check_addresses, rdma.applies),
    Check("rdma-mtu", _RDMA, rdma.check_mtu, rdma.applies),
    Check("rdma-speed", ("ibv-devinfo",), rdma_ports.check_speed, rdma_ports.applies),
    Check("rdma-gid", ("ibv-devinfo",), rdma_ports.check_gid, rdma_ports.applies),
    Check("dot1x", ("ibdev2netdev", "wpa-cli"), dot1x.check_dot1x, rdma.applies),
    Check("oca-rdma", ("oca-rdma",), oca.check_oca, rdma.applies),
    Check("oca-version", ("oca-version",), oca.check_version, rdma.applies),
    Check("local-nvme", ("mounts",), storage.check_scratch, storage.applies),
    Check("shape-match", ("imds-instance",), identity.check_shape),
)
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)


def _fact_command(key: str) -> str:
    kind = FACTS.get(key.split(".", 1)[0])
    return f"`{kind.command}`" if kind else "its command"


def _unavailable(check: Check, exc: FactUnavailable) -> Finding:
    return error(
        check.name,
        f"cannot verify: {exc}",
        f"run {_fact_command(exc.key)} on the node and fix what stops it (missing tool, driver "
        f"not loaded, output cut); to admit the node anyway: --ignore-check {check.name}",
    )


def applicable(shape: Shape) -> tuple[Check, ...]:
    return tuple(c for c in CHECKS if c.applies(shape))


def run_checks(
    facts: NodeFacts,
    shape: Shape,
    checks: tuple[Check, ...] = CHECKS,
    expect: NodeExpectations = NO_EXPECTATIONS,
) -> list[Finding]:
    """Every applicable check's findings, in table order."""
    findings: list[Finding] = []
    for check in checks:
        if not check.applies(shape):
            continue
        try:
            findings.extend(check.evaluate(facts, shape, expect))
        except FactUnavailable as exc:
            findings.append(_unavailable(check, exc))
        except Exception as exc:  # a bug in one check must not pass the node or stop the others
            findings.append(
                error(check.name, f"internal error in the check: {exc!r}", "report a gpufleet bug")
            )
    return findings


def needed_kinds(shape: Shape) -> tuple[str, ...]:
    """Fact kinds to gather from a node of `shape`, in a stable order."""
    kinds = [k for c in applicable(shape) for k in c.needs]
    return tuple(dict.fromkeys(kinds))


__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "GPU_KEYS",
    "NO_EXPECTATIONS",
    "Check",
    "NodeExpectations",
    "needed_kinds",
    "run_checks",
]
