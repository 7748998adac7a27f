"""Every registered kind: a timed command, and empty/garbage input is a FactParseError."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.registry import FACTS

REQUIRED = {
    "nvidia-smi", "nvidia-smi-xml", "ibdev2netdev", "ip-addr", "ifconfig", "wpa-cli", "imds-host",
    "imds-instance", "nccl-tests", "oca-rdma", "xid", "mounts", "fabric-manager",
}  # fmt: skip


def test_required_kinds_registered():
    assert set(FACTS) >= REQUIRED


@pytest.mark.parametrize("kind", sorted(FACTS))
def test_command_is_bounded(kind):
    assert "timeout " in FACTS[kind].command


@pytest.mark.parametrize("kind", sorted(FACTS))
@pytest.mark.parametrize("text", ["", "   \n\n", "\x00\x01\x02binary\xff", "\ufffd\ufffd\ufffd"])
def test_empty_and_garbage_raise(kind, text):
    if kind == "nvlink" and not text.strip():
        # nvidia-smi prints nothing for GPUs exposing no NVLink (a real recording): that parses
        # as "no GPU reports links", which the nvlink check fails (tests/health).
        assert FACTS[kind].parse(text).to_dict() == {"gpus": ()}
        return
    with pytest.raises(FactParseError) as err:
        FACTS[kind].parse(text)
    assert err.value.kind in (kind, "nvidia-smi")  # nvidia-smi-xml may report as its family


@pytest.mark.parametrize("kind", sorted(FACTS))
def test_random_prose_raises(kind):
    with pytest.raises(FactParseError):
        FACTS[kind].parse("Permission denied\nsome unrelated text: here\n")
