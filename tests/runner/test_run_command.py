"""`gpufleet run` as an operator sees it: each node's output grouped like `ansible -m shell`,
the run's log folder, and a retry suggestion that is a command which works."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from rich.console import Console

from bootstrap.results import NodeResult, Status
from bootstrap.runner.shell_view import MAX_GROUPS, MAX_NAMES, print_outputs
from tests import sshfleet
from tests.runner.fleet_helpers import gpufleet, only_run, results_of

pytestmark = pytest.mark.sshd

LINE = (
    'echo "hello from the fleet"; d="$GPUFLEET_NODE_DIR/{token}"; mkdir -p "$d"; '
    '[ "$GPUFLEET_NODE" != node-0002 ] || [ -e "$d/fixed" ] || {{ echo "disk full" >&2; exit 3; }}'
)


def test_output_is_grouped_and_the_suggested_retry_works(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    logs = tmp_path / "logs"
    base = ["--inventory", str(inventory), "--logs", str(logs)]
    limit = ["--limit", "node-0000,node-0001,node-0002,node-0003"]

    result = gpufleet("run", *base, *limit, "--", LINE.format(token=token))

    assert result.exit_code == 1
    out = result.stdout
    assert "node-0000,node-0001,node-0003 (3 nodes) | OK | rc=0 >>\nhello from the fleet\n" in out
    assert "node-0002 | FAILED | rc=3 >>\nhello from the fleet\ndisk full\n" in out
    run = only_run(logs)
    assert f"Logs: {run}/" in result.stderr
    [suggestion] = [line for line in out.splitlines() if line.startswith("Re-run only these")]
    words = shlex.split(suggestion.split(": ", 1)[1])
    assert words[:2] == ["gpufleet", "run"] and words[-2:] == ["--retry-failed", run.name]

    (fleet.node_dir("node-0002") / token / "fixed").touch()
    retry = gpufleet(*words[1:], "--json")  # exactly the suggested command

    assert retry.exit_code == 0, retry.output
    doc = json.loads(retry.stdout)
    assert doc["retry_of"] == run.name
    assert [(r["node"], r["status"]) for r in doc["results"]] == [("node-0002", "ok")]
    assert results_of(run)["results"][2]["status"] == "failed"  # the first run is kept


def test_retrying_a_run_of_another_kind_is_bad_input(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    logs = tmp_path / "logs"
    first = gpufleet("run", "--inventory", str(inventory), "--logs", str(logs), "--limit",
                     "node-0000", "--", "exit 1")  # fmt: skip
    assert first.exit_code == 1
    run_id = only_run(logs).name
    again = gpufleet("bootstrap", "--inventory", str(inventory), "--logs", str(logs),
                     "--retry-failed", run_id)  # fmt: skip
    assert again.exit_code == 2
    assert f"gpufleet run --retry-failed {run_id}" in again.stderr


def test_groups_are_bounded_and_failures_never_left_out() -> None:
    def result(name: str, status: Status, line: str) -> NodeResult:
        code = 0 if status.succeeded else 2
        return NodeResult(name, "p", "h", status, code, 0.1, None, [line], [], None, None)

    results = [result(f"n{i}", Status.OK, f"out {i}") for i in range(MAX_GROUPS + 10)]
    results += [result(f"same{i}", Status.OK, "same") for i in range(MAX_NAMES + 3)]
    results.append(result("bad", Status.FAILED, "boom"))
    console = Console(record=True, width=100)

    print_outputs(results, console)

    text = console.export_text()
    assert "bad | FAILED | rc=2 >>\nboom\n" in text  # the last, smallest group, yet shown
    names = ",".join(f"same{i}" for i in range(MAX_NAMES))
    assert f"{names},... (+3 more) ({MAX_NAMES + 3} nodes) | OK | rc=0 >>\nsame\n" in text
    assert text.count(">>") == MAX_GROUPS
    assert "... 12 more distinct outputs (12 nodes)" in text
