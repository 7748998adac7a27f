"""IMEX readiness on GB200 trays: `nvidia-imex-ctl -q` must print READY (oci-hpc imex role).
Samples are written from that check's format: no GB200 output has been recorded here."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.imex import parse
from bootstrap.health.checks import needed_kinds, run_checks
from bootstrap.health.checks.imex import check_imex
from bootstrap.health.node_facts import NodeFacts, RawFact
from infra.shapes import CATALOG

GB200 = CATALOG["BM.GPU.GB200.4"]


def facts(text: str) -> NodeFacts:
    return NodeFacts("gb-1", {"imex": RawFact(text, 0)})


def test_ready_passes_and_anything_else_fails_with_the_state() -> None:
    assert parse("READY\n").ready
    assert check_imex(facts("READY\n"), GB200) == []
    [finding] = check_imex(facts("UNAVAILABLE\n"), GB200)
    assert finding.check == "imex" and finding.message.startswith("IMEX is UNAVAILABLE, not READY")
    assert "systemctl restart nvidia-imex" in finding.remedy


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ready\n",
        "READY\nREADY\n",
        "nvidia-imex-ctl: command not found\n",
        "\x00\x01",
    ],
)
def test_prose_and_garbage_are_parse_errors(text: str) -> None:
    with pytest.raises(FactParseError):
        parse(text)


def test_a_cut_word_is_not_ready() -> None:
    [finding] = check_imex(facts("READ"), GB200)
    assert "IMEX is READ, not READY" in finding.message


def test_only_gb200_shapes_check_imex() -> None:
    assert "imex" in needed_kinds(GB200)
    assert "imex" not in needed_kinds(CATALOG["BM.GPU.H100.8"])
    unavailable = [f.check for f in run_checks(NodeFacts("gb-1", {}), GB200) if f.check == "imex"]
    assert unavailable == ["imex"]  # not gathered: an error, never a pass
