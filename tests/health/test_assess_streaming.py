"""A health run holds one node's raw facts at a time: each node is judged as its source hands it
over, and only findings, placement and reachability are kept (the raw outputs of an 8-GPU node
are ~350 KB; 12,500 nodes' worth would be over 4 GB)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sequence

from bootstrap.health.assess import assess
from bootstrap.health.node_facts import Gathered, RawFact
from bootstrap.inventory.model import Node
from tests.health.conftest import H200, healthy_h200_files, read

NODES = 40
PADDING = 2_000_000  # bytes of extra output per node (a mount table of a very busy node)


class BigSource:
    """Every node's healthy facts plus 2 MB of mounts; records when each node is handed over."""

    def __init__(self) -> None:
        self.files = {k: read(p) for k, p in healthy_h200_files().items()}
        self.handed: list[str] = []

    def gather(
        self,
        nodes: Sequence[Node],
        kinds_for: Callable[[Node], tuple[str, ...]],
        consume: Callable[[str, Gathered], None],
    ) -> None:
        for node in nodes:
            raw = {k: RawFact(v) for k, v in self.files.items()}
            raw["padding-unknown-kind"] = RawFact("x" * PADDING)
            self.handed.append(node.name)
            consume(node.name, Gathered(raw, None))


def nodes() -> list[Node]:
    return [
        Node(f"gpu-{i}", f"10.0.0.{i + 10}", 22, "opc", "train", H200.name) for i in range(NODES)
    ]


def test_peak_memory_is_about_one_node_not_the_fleet() -> None:
    source = BigSource()
    tracemalloc.start()
    try:
        reports, _ = assess(nodes(), source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.handed == [n.name for n in nodes()]
    assert [r.status for r in reports] == ["pass"] * NODES
    # holding every node would need NODES * PADDING = 80 MB; one at a time needs ~2 MB
    assert peak < 10 * PADDING, f"peak {peak / 1e6:.1f} MB"


def test_a_node_the_source_never_reports_is_unreachable_not_passed() -> None:
    class Silent(BigSource):
        def gather(self, nodes, kinds_for, consume):  # type: ignore[no-untyped-def]
            super().gather(nodes[:1], kinds_for, consume)

    reports, _ = assess(nodes()[:2], Silent())
    assert [(r.node, r.status) for r in reports] == [("gpu-0", "pass"), ("gpu-1", "unreachable")]
    assert reports[1].unreachable_reason == "no result from the source"


def test_a_bug_while_judging_fails_that_node_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bootstrap.health.assess as assess_module

    real = assess_module.node_findings

    def flaky(node, *args, **kwargs):  # type: ignore[no-untyped-def]
        if node.name == "gpu-1":
            raise KeyError("boom")
        return real(node, *args, **kwargs)

    monkeypatch.setattr(assess_module, "node_findings", flaky)
    reports, _ = assess(nodes()[:3], BigSource())
    assert [r.status for r in reports] == ["pass", "fail", "pass"]
    assert reports[1].verdict.failing_checks == ("health-internal",)
    assert "KeyError" in reports[1].verdict.errors[0].message


def test_over_ssh_a_node_never_started_keeps_the_runners_reason(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Nodes the runner never started (--max-fail-percent, Ctrl-C) get no completion callback;
    they still reach the judge, with the runner's reason, not as "no result"."""
    import bootstrap.health.ssh_source as ssh_source
    from bootstrap.results import NodeResult, RunReport, Status
    from bootstrap.runner import RunSettings

    two = nodes()[:2]

    def fake_run_fleet(members, job_for, *, on_result, **kwargs):  # type: ignore[no-untyped-def]
        first = NodeResult(two[0].name, "train", two[0].host, Status.FAILED, 1, 0.1, None, [],
                           [], "exit", "boom")  # fmt: skip
        on_result(first)
        never = NodeResult.skipped_(two[1].name, "train", two[1].host,
                                    "not started: 1 of 2 nodes failed (50% > 10)")  # fmt: skip
        return RunReport("r", "health", 0.0, 0.0, {}, results=[first, never])

    monkeypatch.setattr(ssh_source, "run_fleet", fake_run_fleet)
    source = ssh_source.SshSource(two, lambda: None, RunSettings(), tmp_path)  # type: ignore[arg-type]
    reports, _ = assess(two, source)
    assert [r.status for r in reports] == ["unreachable", "unreachable"]
    assert reports[1].unreachable_reason is not None
    assert "not started: 1 of 2 nodes failed" in reports[1].unreachable_reason
