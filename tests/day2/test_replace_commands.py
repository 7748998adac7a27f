"""`gpufleet quarantine replace` prints `pulumi config set --path` commands; replayed as the CLI
would store them, they pass the config gate, the program accepts them, and the offline diff
replaces exactly the node asked for."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bootstrap.health.replacement import ConfigSet
from bootstrap.review.offline import diff_manifests
from infra.engine_rules.config_set import apply_command, commands_in
from infra.engine_rules.gate import engine_config, merge_config
from infra.engine_rules.project import load_project
from infra.engine_rules.values import load_stack
from infra.offline.plan import run_plan
from tests.infra.conftest import ROOT

MULTI = ROOT / "examples" / "Pulumi.multi-pool.yaml"
OCID = "ocid1.instance.oc1.iad.aaaaaaaabadnode000000000042"


def test_printed_commands_replay_into_a_stack_that_replaces_those_nodes(tmp_path: Path) -> None:
    project = load_project(ROOT / "Pulumi.yaml")
    stack = load_stack(MULTI, project.name)
    printed = "\n".join([ConfigSet(0, OCID, 1).shell(), ConfigSet(1, "b200-0042", 1).shell()])
    for argv in commands_in(printed):
        apply_command(stack, project.name, argv)
    merged = engine_config(merge_config(project, "multi-pool", stack))
    pools = json.loads(merged["gpufleet:pools"])
    assert pools[0]["replace_nodes"] == {OCID: 1}  # a number: --path coerces it
    assert pools[1]["replace_nodes"] == {"b200-0042": 1}

    doc = yaml.safe_load(MULTI.read_text())
    doc["config"]["gpufleet:pools"] = pools
    head_file = tmp_path / "Pulumi.multi-pool.yaml"
    head_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    review = diff_manifests(run_plan(MULTI).manifest(), run_plan(head_file).manifest())
    assert sorted((c.op, c.name) for c in review.changes) == [
        ("create", "frontier-h100-replace-000000000042-1"),
        ("replace", "frontier-b200-0042"),
    ]
