"""A bounded, total fan-out: a fixed pool of worker threads pulls nodes one at a time.

* Never more than `concurrency` nodes in flight (one thread and at most one connection each),
  whatever the inventory size.
* Total: every node gets a result, in inventory order — nodes never started become `skipped`
  with the reason.
* `max_fail_percent`: once failed + unreachable nodes exceed that share of all nodes, no new
  node is started; nodes in flight finish.
* Ctrl-C (KeyboardInterrupt in the calling thread) sets `stop`: workers start nothing new,
  running nodes abort their channel, and `run()` returns after the workers are joined.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from bootstrap.inventory.model import Node
from bootstrap.results import NodeResult, Status

JOIN_AFTER_INTERRUPT_S = 30.0


class FanOut:
    def __init__(
        self,
        nodes: Sequence[Node],
        work: Callable[[Node, threading.Event], NodeResult],
        *,
        concurrency: int,
        max_fail_percent: float | None = None,
        on_start: Callable[[Node], None] = lambda node: None,
        on_done: Callable[[NodeResult], None] = lambda result: None,
    ) -> None:
        self.nodes = nodes
        self.work = work
        self.concurrency = concurrency
        self.max_fail_percent = max_fail_percent
        self.on_start = on_start
        self.on_done = on_done
        self.stop = threading.Event()
        self.interrupted = False
        self.aborted: str | None = None
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._next = 0
        self._in_flight = 0
        self._bad = 0
        self._results: list[NodeResult | None] = [None] * len(nodes)
        self._started: set[int] = set()

    def run(self) -> list[NodeResult]:
        workers = [
            threading.Thread(target=self._worker, name=f"gpufleet-worker-{i}", daemon=True)
            for i in range(min(self.concurrency, len(self.nodes)))
        ]
        for w in workers:
            w.start()
        try:
            for w in workers:
                while w.is_alive():
                    w.join(0.2)  # short joins keep the main thread responsive to Ctrl-C
        except KeyboardInterrupt:
            self.interrupted = True
            self.stop.set()
            self._join_quietly(workers)
        return self._collect()

    def _join_quietly(self, workers: list[threading.Thread]) -> None:
        # Running nodes notice `stop` within half a second; a node mid-handshake within its
        # connect timeouts. A second Ctrl-C stops waiting (results are still written).
        try:
            for w in workers:
                w.join(JOIN_AFTER_INTERRUPT_S)
        except KeyboardInterrupt:
            pass

    def _take(self) -> int | None:
        with self._lock:
            if self.stop.is_set() or self.aborted or self._next >= len(self.nodes):
                return None
            index = self._next
            self._next += 1
            self._in_flight += 1
            self._started.add(index)
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return index

    def _worker(self) -> None:
        while (index := self._take()) is not None:
            node = self.nodes[index]
            self.on_start(node)
            result = self.work(node, self.stop)
            with self._lock:
                self._results[index] = result
                self._in_flight -= 1
                if result.status in (Status.FAILED, Status.UNREACHABLE):
                    self._bad += 1
                    self._check_fail_percent()
            self.on_done(result)

    def _check_fail_percent(self) -> None:
        limit = self.max_fail_percent
        if limit is None or self.aborted:
            return
        share = 100.0 * self._bad / len(self.nodes)
        if share > limit:
            self.aborted = (
                f"{self._bad} of {len(self.nodes)} nodes failed or were unreachable "
                f"({share:.0f}% > --max-fail-percent {limit:g}); no new nodes started"
            )

    def _collect(self) -> list[NodeResult]:
        with self._lock:
            if self.interrupted:
                reason = "not started: run interrupted (Ctrl-C)"
            else:
                reason = f"not started: {self.aborted}" if self.aborted else "not started"
            return [
                r if r is not None else self._missing(i, reason)
                for i, r in enumerate(self._results)
            ]

    def _missing(self, index: int, reason: str) -> NodeResult:
        node = self.nodes[index]
        if index not in self._started:
            return NodeResult.skipped_(node.name, node.pool, node.host, reason)
        # Still running after the join timeout: it may have partly run.
        return NodeResult(
            node.name,
            node.pool,
            node.host,
            Status.FAILED,
            None,
            0.0,
            None,
            [],
            [],
            "interrupted",
            f"{node.name}: still running when gpufleet stopped",
        )
