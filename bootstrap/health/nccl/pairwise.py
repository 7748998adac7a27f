"""Pairwise planner: which 2-node all_reduce runs to do, and which nodes the results convict.

Bus bandwidth of a 2-node run is set by its slower node, so a pair at or above threshold clears
both nodes, and a pair below threshold whose partner is cleared convicts the other one. Plan:

1. `first_round`: disjoint neighbour pairs in hostfile (topology) order, so all run at once; an
   odd node out is paired with the first node.
2. `follow_up`: every node seen only in slow pairs is paired with a distinct cleared node.
3. `classify`: cleared / slow / undetermined (nodes never cleared nor convicted, e.g. when
   every pair was slow: nothing is known good). N nodes take at most two rounds of ≤ N/2 runs.

    >>> r = {("a", "b"): 450.0, ("c", "d"): 210.0}
    >>> follow_up(["a", "b", "c", "d"], r, 440.0)
    [('c', 'a'), ('d', 'b')]
    >>> r |= {("c", "a"): 455.0, ("d", "b"): 205.0}
    >>> classify(["a", "b", "c", "d"], r, 440.0).slow
    ('d',)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

Pair = tuple[str, str]


@dataclass(frozen=True)
class PairVerdict:
    cleared: tuple[str, ...]
    slow: tuple[str, ...]
    undetermined: tuple[str, ...]
    evidence: dict[str, list[tuple[str, float]]]  # node -> [(partner, busbw)] of its slow pairs


def first_round(nodes: Sequence[str]) -> list[Pair]:
    pairs = [(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
    if len(nodes) % 2 and len(nodes) > 1:
        pairs.append((nodes[-1], nodes[0]))
    return pairs


def _cleared(results: Mapping[Pair, float], threshold: float) -> set[str]:
    return {n for pair, bw in results.items() if bw >= threshold for n in pair}


def follow_up(
    nodes: Sequence[str],
    results: Mapping[Pair, float],
    threshold: float,
    unmeasured: Collection[Pair] = (),
) -> list[Pair]:
    """Pairs that settle every node not yet cleared or convicted; [] when nothing more helps.

    A node whose pair yielded no result (`unmeasured`: it did not launch, timed out) gets one
    more try with a cleared partner, so one broken launch does not leave its partner unjudged.
    """
    cleared = _cleared(results, threshold)
    verdict = classify(nodes, results, threshold)
    tried_pairs = [*results, *unmeasured]

    def worth_a_pair(node: str) -> bool:
        if any(node in p for p in results):
            return True
        return sum(node in p for p in unmeasured) == 1  # never measured: one retry only

    open_nodes = [n for n in verdict.undetermined if worth_a_pair(n)]
    good = [n for n in nodes if n in cleared]
    if not good:
        return []
    tried = {frozenset(p) for p in tried_pairs}
    pairs: list[Pair] = []
    for i, node in enumerate(open_nodes):
        candidates = [g for g in good if frozenset((node, g)) not in tried]
        if candidates:
            pairs.append((node, candidates[i % len(candidates)]))
    return pairs


def classify(nodes: Sequence[str], results: Mapping[Pair, float], threshold: float) -> PairVerdict:
    cleared = _cleared(results, threshold)
    evidence: dict[str, list[tuple[str, float]]] = {}
    slow = set()
    for (a, b), bw in results.items():
        if bw >= threshold:
            continue
        for node, partner in ((a, b), (b, a)):
            if node in cleared:
                continue
            evidence.setdefault(node, []).append((partner, bw))
            if partner in cleared:
                slow.add(node)
    return PairVerdict(
        cleared=tuple(n for n in nodes if n in cleared),
        slow=tuple(n for n in nodes if n in slow),
        undetermined=tuple(n for n in nodes if n not in cleared and n not in slow),
        evidence=evidence,
    )
