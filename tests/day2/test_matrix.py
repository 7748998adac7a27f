"""The day-2 change matrix: every routine change to every shipped stack, planned offline and
diffed, lists exactly the creates, updates, replaces and deletes expected (docs/day2.md).

No protected resource is replaced; nothing pool-wide (a cluster network, compute cluster, GPU
memory cluster, or more than the one node asked for) is recreated by a routine change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.review import model
from bootstrap.review.offline import diff_manifests
from infra.engine_rules.gate import merge_config
from infra.engine_rules.project import load_project
from infra.engine_rules.values import load_stack
from infra.offline.plan import run_plan
from tests.day2.changes import CHANGES
from tests.infra.conftest import ROOT, STACKS, stack_id

POOL_WIDE = (model.CLUSTER_NETWORK, model.COMPUTE_CLUSTER, model.GPU_MEMORY_CLUSTER)
TAGGED = "every resource that carries freeform tags, except those replaced"


def _chunks(prefix: str, count: int) -> set[str]:
    return {f"{prefix}-cn"} | {f"{prefix}-cn-{i}" for i in range(1, count)}


def _one_cluster_network_pool(cluster: str, pool: str, chunks: int = 1) -> dict[str, Any]:
    """A stack of one cluster-network pool: what each change does there."""
    prefix = f"{cluster}-{pool}"
    cns = _chunks(prefix, chunks)
    last = {f"{prefix}-cn-{chunks - 1}" if chunks > 1 else f"{prefix}-cn"}  # only it grows
    new_ic = {"replace": {f"{prefix}-ic"}, "update": cns}
    return {
        "software_bump": new_ic,
        "new_image": new_ic,
        "ssh_key_rotation": {"replace": {f"{prefix}-ic", f"{cluster}-bastion-vm"}, "update": cns},
        "nodes_plus_one": {"update": last},
        "nodes_minus_one": {"update": last},
        "pool_added": {
            "create": {f"{cluster}-extra", f"{cluster}-extra-ic", f"{cluster}-extra-cn"}
        },
        "spares_changed": {"update": last},
        "one_node_replaced": {"create": {f"{prefix}-replace-000000000007-1"}},
        "tag_changed": {"replace": {f"{prefix}-ic"}, "update": TAGGED},
    }


def _expected() -> dict[str, dict[str, dict[str, Any]]]:
    fr = "frontier"
    return {
        "example": _one_cluster_network_pool("dev", "h100"),
        "100k-h100": _one_cluster_network_pool("titan", "h100", chunks=26),  # 12,750 / 500
        "h200-64": _one_cluster_network_pool("h200", "h200"),
        # h100 in a cluster network, b200 in a compute cluster (256 Instances): the changes
        # that size or replace nodes act on the compute-cluster pool (tests/day2/changes.py)
        "multi-pool": {
            # both instance configurations are new; the 256 b200 nodes are untouched
            "software_bump": {
                "replace": {f"{fr}-h100-ic", f"{fr}-b200-ic"},
                "update": {f"{fr}-h100-cn"},
            },
            "new_image": {"replace": {f"{fr}-h100-ic"}, "update": {f"{fr}-h100-cn"}},
            "ssh_key_rotation": {
                "replace": {f"{fr}-h100-ic", f"{fr}-b200-ic", "frontier-bastion-vm"},
                "update": {f"{fr}-h100-cn"},
            },
            "nodes_plus_one": {"create": {f"{fr}-b200-0257"}},
            # protected: the engine refuses until that one node is unprotected (docs/day2.md)
            "nodes_minus_one": {"delete": {f"{fr}-b200-0256"}},
            "pool_added": {"create": {f"{fr}-extra", f"{fr}-extra-ic", f"{fr}-extra-cn"}},
            "spares_changed": {"create": {f"{fr}-b200-0257"}},
            "one_node_replaced": {"replace": {f"{fr}-b200-0007"}},
            "tag_changed": {"replace": {f"{fr}-h100-ic", f"{fr}-b200-ic"}, "update": TAGGED},
        },
    }


EXPECTED = _expected()
CASES = [(s, c) for s in STACKS for c in CHANGES]


@pytest.fixture(scope="module")
def bases() -> dict[str, dict[str, Any]]:
    return {stack_id(s): run_plan(s).manifest() for s in STACKS}


def _changed(stack: Path, change: str, tmp_path: Path) -> Path:
    doc = yaml.safe_load(stack.read_text())
    CHANGES[change](doc["config"])
    path = tmp_path / f"Pulumi.{stack_id(stack)}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _by_name(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {r["name"]: r for r in manifest["resources"]}


def test_every_stack_and_change_has_an_expectation() -> None:
    assert set(EXPECTED) == {stack_id(s) for s in STACKS}
    assert all(set(row) == set(CHANGES) for row in EXPECTED.values())


@pytest.mark.parametrize(("stack", "change"), CASES, ids=[f"{stack_id(s)}-{c}" for s, c in CASES])
def test_routine_change(
    stack: Path, change: str, bases: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    head_file = _changed(stack, change, tmp_path)
    # the changed stack still passes the CLI's gate
    project = load_project(ROOT / "Pulumi.yaml")
    merge_config(project, stack_id(stack), load_stack(head_file, project.name))
    base, head = bases[stack_id(stack)], run_plan(head_file).manifest()
    review = diff_manifests(base, head)
    ops: dict[str, set[str]] = {}
    for c in review.changes:
        ops.setdefault(c.op, set()).add(c.name)
    expected = dict(EXPECTED[stack_id(stack)][change])
    if expected.get("update") == TAGGED:
        tagged = {r["name"] for r in base["resources"] if "freeformTags" in r["inputs"]}
        expected["update"] = tagged - expected.get("replace", set())
    assert ops == expected

    before, after = _by_name(base), _by_name(head)
    for c in review.changes:
        if c.op == "replace":
            # the engine refuses a replace only when old and new are both protected
            assert not (before[c.name]["protect"] and after[c.name]["protect"]), c.name
            assert c.type not in POOL_WIDE, c.name
        if c.op == "delete":
            assert c.type not in POOL_WIDE, c.name
    replaced_nodes = [c for c in review.changes if c.type == model.INSTANCE and c.op == "replace"]
    assert len([c for c in replaced_nodes if not c.name.endswith("-bastion-vm")]) <= 1


def test_shrinking_a_compute_cluster_names_the_protected_node(
    bases: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    stack = ROOT / "examples" / "Pulumi.multi-pool.yaml"
    head = run_plan(_changed(stack, "nodes_minus_one", tmp_path)).manifest()
    (gone,) = diff_manifests(bases["multi-pool"], head).changes
    assert (gone.op, gone.name, gone.protect) == ("delete", "frontier-b200-0256", True)


def test_a_node_listed_twice_is_replaced_again(tmp_path: Path) -> None:
    stack = ROOT / "examples" / "Pulumi.multi-pool.yaml"
    first = run_plan(_changed(stack, "one_node_replaced", tmp_path)).manifest()
    doc = yaml.safe_load(stack.read_text())
    CHANGES["one_node_replaced"](doc["config"])
    again = copy.deepcopy(doc)
    again["config"]["gpufleet:pools"][1]["replace_nodes"] = {"b200-0007": 2}
    path = tmp_path / "Pulumi.again.yaml"
    path.write_text(yaml.safe_dump(again, sort_keys=False))
    review = diff_manifests(first, run_plan(path).manifest())
    assert [(c.op, c.name) for c in review.changes] == [("replace", "frontier-b200-0007")]
    # and the same config planned again changes nothing
    assert diff_manifests(first, first).changes == ()


# No shipped stack has GB200 (NVL72 racks: compute cluster + GPU memory clusters), so one is
# derived from the example: a full rack of 18 trays on one fabric.
GB200_POOL = {
    "name": "gb200",
    "shape": "BM.GPU.GB200.4",
    "nodes": 18,
    "image_id": "ocid1.image.oc1.iad.aaaaaaaaexamplegpuimageubuntu2404arm00000000000000000000",
    "os": "ubuntu-24.04",
    "mode": "compute_cluster",
    "gpu_memory_fabric_ids": ["ocid1.computegpumemoryfabric.oc1.iad.aaaaaaaaexamplefabric0001"],
}
GB200_EXPECTED = {
    "software_bump": {"replace": {"dev-gb200-ic"}, "update": {"dev-gb200-gmc-0"}},
    "new_image": {"replace": {"dev-gb200-ic"}, "update": {"dev-gb200-gmc-0"}},
    "ssh_key_rotation": {
        "replace": {"dev-gb200-ic", "dev-bastion-vm"},
        "update": {"dev-gb200-gmc-0"},
    },
    "nodes_minus_one": {"update": {"dev-gb200-gmc-0"}},  # the memory cluster's size
    "tag_changed": {"replace": {"dev-gb200-ic"}, "update": TAGGED},
}


def _gb200_stack(tmp_path: Path, change: str | None = None) -> Path:
    doc = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())
    doc["config"]["gpufleet:pools"] = [copy.deepcopy(GB200_POOL)]
    if change:
        CHANGES[change](doc["config"])
    path = tmp_path / f"Pulumi.gb200-{change or 'base'}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def gb200_base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_plan(_gb200_stack(tmp_path_factory.mktemp("gb200"))).manifest()


@pytest.mark.parametrize("change", sorted(GB200_EXPECTED))
def test_gb200_routine_change(change: str, gb200_base: dict[str, Any], tmp_path: Path) -> None:
    head = run_plan(_gb200_stack(tmp_path, change)).manifest()
    ops: dict[str, set[str]] = {}
    for c in diff_manifests(gb200_base, head).changes:
        ops.setdefault(c.op, set()).add(c.name)
        assert not (c.op == "replace" and c.type in POOL_WIDE), c.name
    expected = dict(GB200_EXPECTED[change])
    if expected.get("update") == TAGGED:
        tagged = {r["name"] for r in gb200_base["resources"] if "freeformTags" in r["inputs"]}
        expected["update"] = tagged - expected["replace"]
    assert ops == expected


def test_a_spare_beyond_the_rack_needs_another_fabric(tmp_path: Path) -> None:
    """A full rack has no room for a spare: refused before anything is planned, never
    silently dropped."""
    from infra.config import ConfigError, load_stack_file

    with pytest.raises(ConfigError) as err:
        load_stack_file(_gb200_stack(tmp_path, "spares_changed"))
    (problem,) = err.value.problems
    assert problem.key == "gpufleet:pools[0].gpu_memory_fabric_ids"
    assert "19 nodes need 2 GPU memory fabric(s)" in problem.message
