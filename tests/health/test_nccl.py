"""NCCL thresholds (real 2×H100 run, derived slow/failed runs), mpirun argv, pairwise planner."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from bootstrap.facts.base import strip_provenance
from bootstrap.facts.nccl_tests import parse
from bootstrap.health.findings import Severity
from bootstrap.health.nccl.mpirun import mpirun_argv, mpirun_command
from bootstrap.health.nccl.pairwise import classify, first_round, follow_up
from bootstrap.health.nccl.threshold import PAIR, POOL, SINGLE, check_single, judge_run
from bootstrap.health.node_facts import NodeFacts, RawFact
from bootstrap.health.pool_nccl import NcclOutput, NoRun, run_pool
from tests.health.conftest import H100, fact_case, read, shared, with_avg

REAL = "nccl_allreduce_perf_H100_2node_oci_hpc_docs.txt"


def real() -> str:
    return strip_provenance(read(shared(REAL)))


def test_real_two_node_run_passes_the_440_threshold() -> None:
    assert judge_run(POOL, parse(real()), H100.busbw_multinode_gbs, "pool train") == []


def test_below_threshold_is_an_error_pointing_to_pairwise() -> None:
    [finding] = judge_run(POOL, parse(with_avg(real(), 210.5)), 440.0, "pool train")
    assert finding.severity is Severity.ERROR and "210.5" in finding.message
    assert "--nccl pairwise" in finding.remedy


def test_failed_and_wrong_runs_are_errors() -> None:
    failed = parse(strip_provenance(read(fact_case("nccl_H100_nccl_failure.txt"))))
    assert judge_run(POOL, failed, 440.0, "x")[0].severity is Severity.ERROR
    wrong = parse(strip_provenance(read(fact_case("nccl_H100_wrong_results.txt"))))
    assert "wrong results" in judge_run(POOL, wrong, 440.0, "x")[0].message


def test_no_threshold_is_a_warning() -> None:
    [finding] = judge_run(POOL, parse(real()), None, "x")
    assert finding.severity is Severity.WARNING


def test_single_node_check_uses_the_one_node_threshold_and_never_passes_truncated() -> None:
    ok = NodeFacts("n", {"nccl-tests": RawFact(with_avg(real(), 475.8))})
    assert check_single(ok, H100) == []
    slow = NodeFacts("n", {"nccl-tests": RawFact(with_avg(real(), 300.0))})
    assert check_single(slow, H100)[0].check == SINGLE
    cut = NodeFacts(
        "n", {"nccl-tests": RawFact(read(fact_case("nccl_H100_truncated_before_avg.txt")))}
    )
    try:
        check_single(cut, H100)
    except Exception as exc:  # FactUnavailable: the check runner makes it an error
        assert "unparseable" in str(exc)
    else:
        raise AssertionError("a truncated run must not pass")


def test_mpirun_argv_carries_the_shape_nccl_env() -> None:
    argv = mpirun_argv(H100, hostfile="hosts", nodes=4)
    assert argv[:3] == ["mpirun", "--np", "32"]
    assert argv[argv.index("--npernode") + 1] == "8"
    assert argv[argv.index("--hostfile") + 1] == "hosts"
    env = {argv[i + 1] for i, a in enumerate(argv) if a == "-x"}
    assert f"NCCL_IB_HCA=={','.join(H100.rdma_devices)}" in env
    assert "NCCL_IB_GID_INDEX=3" in env and "NCCL_IB_TC=41" in env
    assert argv[-11:-10] == ["all_reduce_perf"]


def test_mpirun_command_writes_the_hostfile_in_rank_order() -> None:
    cmd = mpirun_command(H100, hostfile=".hf", hosts=["10.0.0.2", "10.0.0.1"])
    words = shlex.split(cmd)
    assert words[:2] == ["printf", "%s"]
    assert words[2] == "10.0.0.2 slots=8\n10.0.0.1 slots=8\n"
    assert "mpirun" in words
    assert cmd.endswith("; rc=$?; rm -f .hf; exit $rc")  # no hostfile left on the launcher


def test_first_round_pairs_neighbours_and_covers_odd_node() -> None:
    assert first_round(["a", "b", "c", "d"]) == [("a", "b"), ("c", "d")]
    assert first_round(["a", "b", "c"]) == [("a", "b"), ("c", "a")]
    assert first_round(["a"]) == []


def test_pairwise_names_the_slow_node() -> None:
    nodes = ["n1", "n2", "n3", "n4", "n5", "n6"]
    slow = "n4"

    def measure(pair: tuple[str, str]) -> float:
        return 300.0 if slow in pair else 460.0

    results = {p: measure(p) for p in first_round(nodes)}
    assert classify(nodes, results, 440.0).undetermined == ("n3", "n4")
    for pair in follow_up(nodes, results, 440.0):
        results[pair] = measure(pair)
    verdict = classify(nodes, results, 440.0)
    assert verdict.slow == ("n4",)
    assert verdict.undetermined == ()
    assert set(verdict.cleared) == set(nodes) - {"n4"}


def test_pairwise_cannot_convict_when_nothing_is_cleared() -> None:
    results = {("a", "b"): 100.0, ("c", "d"): 100.0}
    assert follow_up(["a", "b", "c", "d"], results, 440.0) == []
    verdict = classify(["a", "b", "c", "d"], results, 440.0)
    assert verdict.slow == () and verdict.undetermined == ("a", "b", "c", "d")


class _Source:
    """An NcclSource whose pool run and pairs are given; a NoRun says why nothing came back."""

    def __init__(self, pool: NcclOutput, pairs: dict[tuple[str, str], NcclOutput]) -> None:
        self.pool, self.pairs = pool, pairs

    def pool_run(self, pool: str, nodes: Sequence[str]) -> NcclOutput:
        return self.pool

    def pair_runs(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], NcclOutput]:
        return {p: self.pairs.get(p, NoRun(f"no run planned for {p}")) for p in pairs}


def test_a_pool_run_without_output_carries_the_runners_reason() -> None:
    why = "mpirun on n1: failed: exit code 2: all_reduce_perf: command not found"
    out = run_pool("train", ["n1", "n2"], H100, _Source(NoRun(why), {}), pairwise=False)
    pool = next(f for f in out.findings if f.check == POOL)
    assert pool.severity is Severity.ERROR and pool.message.endswith(f"no result ({why})")


def test_unmeasured_pairs_name_their_reason_and_never_clear_anyone() -> None:
    why = "mpirun on n3: unreachable: timed out connecting through the bastion"
    retry = "mpirun on n3: unreachable: timed out again"
    source = _Source(
        NoRun("not asked"),
        {("n1", "n2"): real(), ("n3", "n4"): NoRun(why), ("n3", "n1"): NoRun(retry)},
    )
    out = run_pool("train", ["n1", "n2", "n3", "n4"], H100, source, pairwise=True)
    assert set(out.node_findings) == {"n3", "n4"}
    [n3] = out.node_findings["n3"]
    assert n3.check == PAIR and f"n3+n4: {why}; n3+n1: {retry}" in n3.message
    [n4] = out.node_findings["n4"]  # its retry partner n2 was not planned here: no run either
    assert f"n3+n4: {why}; n4+n2: no run planned" in n4.message
    assert [u["nodes"] for u in out.to_dict()["unmeasured"]] == [
        ["n3", "n4"], ["n3", "n1"], ["n4", "n2"]
    ]  # fmt: skip


def test_a_node_whose_partner_failed_to_launch_is_retried_and_cleared() -> None:
    why = "mpirun on n3: failed: exit code 2"
    slow = with_avg(real(), 250.0)
    source = _Source(
        NoRun("not asked"),
        {("n1", "n2"): real(), ("n3", "n4"): NoRun(why), ("n3", "n1"): slow, ("n4", "n2"): real()},
    )
    out = run_pool("train", ["n1", "n2", "n3", "n4"], H100, source, pairwise=True)
    assert set(out.node_findings) == {"n3"}  # n4 cleared by its retry with n2
    [finding] = out.node_findings["n3"]
    assert "slow in 2-node all_reduce" in finding.message and "250.0 GB/s" in finding.message
