"""The bounded pool, with a plain function as the work (no SSH, nothing to fake)."""

from __future__ import annotations

import threading
import time

from bootstrap.inventory.model import Node
from bootstrap.results import NodeResult, Status
from bootstrap.runner.fanout import FanOut

NODES = [Node(f"n-{i:03d}", f"10.0.0.{i}", 22, "opc", "train", "") for i in range(50)]


def _ok(node: Node) -> NodeResult:
    return NodeResult(node.name, node.pool, node.host, Status.OK, 0, 0.0, None, [], [], None, None)


def test_never_more_than_concurrency_in_flight_and_total() -> None:
    lock = threading.Lock()
    now = peak = 0

    def work(node: Node, stop: threading.Event) -> NodeResult:
        nonlocal now, peak
        with lock:
            now += 1
            peak = max(peak, now)
        time.sleep(0.005)
        with lock:
            now -= 1
        return _ok(node)

    fan = FanOut(NODES, work, concurrency=7)
    results = fan.run()
    assert peak == fan.max_in_flight == 7
    assert [r.node for r in results] == [n.name for n in NODES]
    assert threading.active_count() < 5  # workers are gone


def test_max_fail_percent_skips_nodes_not_yet_started() -> None:
    def work(node: Node, stop: threading.Event) -> NodeResult:
        return NodeResult.unreachable_(node.name, node.pool, node.host, "connect", "refused")

    fan = FanOut(NODES, work, concurrency=2, max_fail_percent=10)
    results = fan.run()
    statuses = [r.status for r in results]
    assert statuses.count(Status.UNREACHABLE) in (6, 7)  # 6/50 = 12% > 10%, plus one in flight
    assert statuses.count(Status.SKIPPED) == 50 - statuses.count(Status.UNREACHABLE)
    assert fan.aborted is not None and "> --max-fail-percent 10" in fan.aborted
    skipped = [r for r in results if r.status is Status.SKIPPED]
    assert skipped[0].error_message == f"not started: {fan.aborted}"
    assert set(skipped[0].to_dict()) == set(results[0].to_dict())


def test_on_done_hears_of_every_node() -> None:
    seen: list[str] = []
    fan = FanOut(
        NODES[:3],
        lambda node, stop: _ok(node),
        concurrency=2,
        on_done=lambda r: seen.append(r.node),
    )
    fan.run()
    assert sorted(seen) == ["n-000", "n-001", "n-002"]
