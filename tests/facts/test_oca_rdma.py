"""OcaRdmaStatus from hand-written status files (no recording available; format = one "state"
key, per oci-hpc check_gpu_setup.py)."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.oca_rdma import parse


def test_completed(case_text):
    status = parse(case_text("oca_rdma_completed_handwritten.json"))
    assert status.state == "COMPLETED" and status.completed is True


def test_not_completed(case_text):
    status = parse(case_text("oca_rdma_in_progress.json"))
    assert status.state == "IN_PROGRESS" and status.completed is False


@pytest.mark.parametrize(
    ("case_or_text", "reason"),
    [("oca_rdma_no_state.json", "state"), ("empty.txt", "empty")],
)
def test_bad_cases(case_text, case_or_text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(case_or_text))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"state": "COMPL', "JSON"),
        ('["COMPLETED"]', "object"),
        ("cat: /var/run/oci-hpc/oci-hpc-rdma-configure.json: No such file", "JSON"),
    ],
)
def test_bad_text(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)


def test_extra_keys_kept_as_strings():
    assert parse('{"state": "COMPLETED", "version": 2}').other == {"version": "2"}
