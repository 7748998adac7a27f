"""The combined command and its splitter; the command really runs under sh with fake tools."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bootstrap.facts.rdma_links import RdmaLinks
from bootstrap.health.gather import combined_command, split_output
from bootstrap.health.node_facts import NodeFacts
from tests.health.conftest import H200, case, read


def test_split_keeps_each_block_and_its_exit_code() -> None:
    out = (
        "noise\n::gpufleet-fact-begin xid::\n# gpufleet: end of xid scan\n\n"
        "::gpufleet-fact-end xid rc=0::\n"
        "::gpufleet-fact-begin oca-rdma::\n\n::gpufleet-fact-end oca-rdma rc=1::\n"
    )
    facts = split_output(out)
    assert facts["xid"].text == "# gpufleet: end of xid scan\n" and facts["xid"].exit_code == 0
    assert facts["oca-rdma"].exit_code == 1 and not facts["oca-rdma"].cut


def test_a_block_without_its_end_is_cut_and_never_parses() -> None:
    facts = split_output("::gpufleet-fact-begin ibdev2netdev::\nmlx5_0 port 1 ==> rdma0 (Up)\n")
    assert facts["ibdev2netdev"].cut
    try:
        NodeFacts("n", facts).need("ibdev2netdev", RdmaLinks)
    except Exception as exc:
        assert "cut" in str(exc)
    else:
        raise AssertionError("a cut block must not parse")


def test_combined_command_runs_with_fake_tools(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ibdev2netdev"
    fake.write_text(f"#!/bin/sh\ncat {case('ibdev2netdev_H200.txt')}\n")
    fake.chmod(0o755)
    script = combined_command(["ibdev2netdev", "oca-rdma"], H200)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0
    facts = split_output(done.stdout)
    links = NodeFacts("n", facts).need("ibdev2netdev", RdmaLinks)
    assert len(links.links) == 12
    assert facts["ibdev2netdev"].text.splitlines()[0].startswith("# DERIVED")
    assert facts["oca-rdma"].exit_code != 0  # the status file does not exist here
    assert read(case("ibdev2netdev_H200.txt")) == facts["ibdev2netdev"].text
