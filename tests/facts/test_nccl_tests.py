"""NcclTestRun from the recorded oci-hpc 2×BM.GPU.H100.8 all_reduce_perf output."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.nccl_tests import parse

H100 = "nccl_allreduce_perf_H100_2node_oci_hpc_docs.txt"


def test_h100_recorded(fixture_text):
    run = parse(fixture_text(H100))
    assert run.completed and run.errors == () and run.out_of_bounds == 0
    assert run.nccl_version == "2.23.4+cuda12.6" and run.avg_busbw_gbps == 464.075
    assert [r.size_bytes for r in run.rows] == [2**30 * k for k in (1, 2, 4, 8, 16)]
    assert run.busbw_at(8589934592) == 469.84  # the row OKE says to report
    eight = run.rows[3]
    assert (eight.oop_time_us, eight.oop_algbw_gbps, eight.ip_busbw_gbps) == (34280, 250.58, 469.96)
    assert all(r.oop_wrong == 0 and r.ip_wrong == 0 for r in run.rows)
    assert (eight.type, eight.redop) == ("float", "sum")


def test_wrong_results_counted(case_text):
    run = parse(case_text("nccl_H100_wrong_results.txt"))
    assert [r.oop_wrong for r in run.rows] == [0, 0, 3, 0, 0]


def test_nccl_failure_is_an_incomplete_run(case_text):
    run = parse(case_text("nccl_H100_nccl_failure.txt"))
    assert run.completed is False and run.avg_busbw_gbps is None
    assert len(run.rows) == 3 and len(run.errors) == 2
    assert "Test NCCL failure" in run.errors[0]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("nccl_H100_truncated_before_avg.txt", "truncated"),
        ("nccl_H100_truncated_midrow.txt", "fields"),
        ("nvidia_smi_H200_garbage_bytes.txt", "garbage"),
        ("empty.txt", "empty"),
    ],
)
def test_bad_input(case_text, case, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(case))


def test_other_output_is_not_a_run(fixture_text):
    with pytest.raises(FactParseError, match="no result rows"):
        parse(fixture_text("ibdev2netdev_BM.GPU.H100.8.txt"))


def test_old_format_without_root_and_na_check():
    text = (
        "#  size count type redop time algbw busbw error time algbw busbw error\n"
        "  1048576  262144  float  sum  100.0  10.49  19.66  N/A  99.0  10.59  19.86  0e+00\n"
        "# Avg bus bandwidth    : 19.76\n"
    )
    row = parse(text).rows[0]
    assert row.oop_wrong is None and row.ip_wrong == 0 and row.oop_busbw_gbps == 19.66
