"""Output is bounded per line and per node, and memory stays flat with a 50 MB line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap.runner.node_output import TAIL_LINE_CHARS, NodeOutput
from bootstrap.ssh.line_split import LineSplitter
from tests import sshfleet
from tests.runner.fleet_helpers import only_run, results_of


def _split(chunks: list[bytes], max_bytes: int) -> list[str]:
    got: list[str] = []
    lines = LineSplitter("out", lambda stream, line: got.append(line), max_bytes=max_bytes)
    for chunk in chunks:
        lines.feed(chunk)
    lines.close()
    return got


def test_lines_split_across_reads_and_long_lines_cut_with_a_marker() -> None:
    chunks = [b"one\r\ntw", b"o\n", b"x" * 7, b"x" * 8 + b"\nlast"]
    assert _split(chunks, max_bytes=10) == [
        "one",
        "two",
        "xxxxxxxxxx [gpufleet: line cut, 5 more bytes]",
        "last",
    ]
    # a multi-byte character cut in half is replaced, never an exception
    assert _split(["é".encode() * 3 + b"\n"], max_bytes=3) == [
        "é\ufffd [gpufleet: line cut, 3 more bytes]"
    ]


def test_the_log_keeps_its_head_a_marker_and_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    output = NodeOutput(log, tail_lines=3, max_log_bytes=100)
    for i in range(1000):
        output.on_line("out", f"line {i}")
    output.on_line("out", '{"step": "late_step", "status": "ok"}')
    output.on_line("err", "y" * (TAIL_LINE_CHARS + 50))
    output.close()
    text = log.read_text()
    marker, *last = text.splitlines()[-4:]
    assert text.startswith("line 0\nline 1\n") and len(text) < 100 + 200 + 3 * 2100
    assert marker.startswith("[gpufleet] log truncated: ") and "lines follow" in marker
    assert last[0] == "line 999"
    assert [s.step for s in output.steps] == ["late_step"]  # parsed though not logged
    assert output.tail[-1].endswith("[gpufleet: line cut, 50 more bytes]")
    assert len(output.tail[-1]) < TAIL_LINE_CHARS + 50


@pytest.mark.sshd
def test_a_50_mb_line_costs_no_more_than_100_mb(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    logs = tmp_path / "logs"
    size = 50_000_000
    # A child's ru_maxrss keeps the high-water mark of the memory it was forked from (Linux
    # carries the old mm's peak over exec), so a child forked straight from this test process
    # would report pytest's own size. A small launcher forks the client and reports its peak.
    launcher = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stdout.buffer.write(done.stdout)\n"
        "sys.stderr.buffer.write(done.stderr)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.write(f'\\npeak-kib={peak}\\n')\n"
        "sys.exit(done.returncode)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", launcher,
         sys.executable, "-m", "bootstrap", "run", "--inventory", str(inventory),
         "--limit", "node-0000", "--logs", str(logs), "--json", "--",
         f"head -c {size} /dev/zero | tr '\\0' x; echo; echo done"],
        capture_output=True, check=False,
    )  # fmt: skip
    out, err = proc.stdout, proc.stderr.decode()
    assert proc.returncode == 0, err[-2000:]
    peak_mb = int(err.rsplit("peak-kib=", 1)[1]) / 1024  # the client process (KiB -> MiB)
    assert peak_mb < 100, f"peak RSS {peak_mb:.0f} MB for one 50 MB line"
    [result] = json.loads(out)["results"]
    tail = [line[-80:] for line in result["output_tail"]]  # enough to see what went wrong
    assert result["output_tail"][-1] == "done", (tail, result["error_message"])
    assert result["output_tail"][0].endswith(
        f"[gpufleet: line cut, {size - TAIL_LINE_CHARS} more bytes]"
    ), tail
    run = only_run(logs)
    assert (run / "node-0000.log").stat().st_size < 100_000
    assert (run / "results.json").stat().st_size < 20_000
    assert results_of(run)["results"][0]["status"] == "ok"
