"""XidEvents from hand-written kernel-log lines (format per NVIDIA's Xid doc)."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.xid import COMMAND, SENTINEL, parse


def test_events(case_text):
    events = parse(case_text("xid_dmesg_handwritten.txt"))
    assert events.codes() == (48, 63, 79)
    first = events.events[0]
    assert (first.pci, first.xid, first.timestamp) == ("0000:0f:00", 79, "Tue Nov 25 10:11:12 2025")
    assert first.message.endswith("GPU has fallen off the bus.")
    assert events.events[2].pci == "0000:2d:00"  # upper-case hex normalised


def test_no_xid_is_an_empty_result(case_text):
    assert parse(case_text("xid_none.txt")).events == ()


def test_iso_and_journal_prefixes():
    text = (
        "2025-11-25T10:11:12,123456+00:00 NVRM: Xid (PCI:0000:0f:00): 94, Contained ECC error.\n"
        "Nov 25 10:11:12 gpu-1 kernel: NVRM: Xid (PCI:0000:0f:00): 95, Uncontained ECC error.\n"
        f"{SENTINEL}\n"
    )
    events = parse(text).events
    assert [e.xid for e in events] == [94, 95]
    assert events[0].timestamp == "2025-11-25T10:11:12,123456+00:00"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("[1.0] NVRM: Xid (PCI:0000:0f:00): 7\n", "scan incomplete"),
        (f"[1.0] NVRM: Xid (PCI:0000:0f\n{SENTINEL}\n", "not an 'NVRM: Xid' line"),
        (f"# gpufleet: dmesg failed\n{SENTINEL}\n", "dmesg failed"),
    ],
)
def test_bad_input(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)


def test_missing_sentinel(case_text):
    with pytest.raises(FactParseError, match="scan incomplete"):
        parse(case_text("xid_no_sentinel.txt"))


def test_command_has_timeout_and_sentinel():
    assert COMMAND.startswith("{ timeout 30 dmesg") and COMMAND.endswith(f"echo '{SENTINEL}'")
