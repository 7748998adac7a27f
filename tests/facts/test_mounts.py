"""Mounts from hand-written findmnt JSON and /proc/mounts. A real findmnt recording from a GPU
VM is tested in test_device_recordings.py."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.mounts import parse


def test_findmnt_tree_flattened(case_text):
    mounts = parse(case_text("findmnt_J_gpu_node_handwritten.json"))
    assert [m.target for m in mounts.mounts] == ["/", "/mnt/localdisk", "/nfs/cluster"]
    nfs = mounts.at("/nfs/cluster")
    assert nfs is not None and (nfs.fstype, nfs.source) == ("nfs", "10.0.3.10:/cluster")
    assert mounts.at("/scratch") is None


def test_proc_mounts(case_text):
    mounts = parse(case_text("proc_mounts_gpu_node_handwritten.txt"))
    assert len(mounts.mounts) == 5
    assert mounts.at("/mnt/localdisk").fstype == "xfs"
    assert mounts.at("/mnt/with space").source == "/dev/sdb1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ('{"filesystems": [{"target": "/", "source": "/dev/sda1", "fst', "JSON"),
        ('{"other": []}', "filesystems"),
        ('{"filesystems": [{"target": "/"}]}', "string field"),
        ("/dev/sda1 / ext4 rw,rela\n", "not a /proc/mounts line"),
        ("findmnt: unknown column: X\n", "not a /proc/mounts line"),
    ],
)
def test_bad_input(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)


def test_truncated_halfway(case_text):
    text = case_text("findmnt_J_gpu_node_handwritten.json")
    with pytest.raises(FactParseError):
        parse(text[: len(text) // 2])
