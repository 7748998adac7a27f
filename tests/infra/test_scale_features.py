"""Chunked cluster networks, spares, power budget and node replacement, through the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.gpu_pool import chunk_name, chunk_sizes
from infra.config import ConfigError, load_stack_file
from infra.offline.plan import run_plan
from tests.infra.conftest import EXAMPLE

CN = "oci:Core/clusterNetwork:ClusterNetwork"
BASE = yaml.safe_load(EXAMPLE.read_text())


def stack(tmp_path: Path, name: str, pool: dict[str, Any], **top: Any) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["config"]["gpufleet:pools"] = [{**doc["config"]["gpufleet:pools"][0], **pool}]
    for key, value in top.items():
        doc["config"][f"gpufleet:{key}"] = value
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_chunk_sizes_fill_then_remainder() -> None:
    assert chunk_sizes(2, None) == [2]
    assert chunk_sizes(1200, 500) == [500, 500, 200]
    assert chunk_sizes(1000, 500) == [500, 500]
    assert chunk_name("x-h100", 0) == "x-h100-cn" and chunk_name("x-h100", 3) == "x-h100-cn-3"


def test_growing_a_chunked_pool_only_adds_cluster_networks(tmp_path: Path) -> None:
    pool = {"max_nodes_per_cluster_network": 500}
    before = run_plan(stack(tmp_path, "base", {**pool, "nodes": 10_000}))
    after = run_plan(stack(tmp_path, "head", {**pool, "nodes": 12_500}))
    old = {r["name"]: r for r in before.resources}
    new = {r["name"]: r for r in after.resources}
    assert old.keys() <= new.keys()  # nothing removed or renamed
    changed = [n for n in old if old[n] != new[n]]
    assert changed == []  # nothing resized, replaced or touched
    added = sorted(set(new) - set(old))
    assert added == sorted(f"dev-h100-cn-{i}" for i in range(20, 25))
    assert all(new[n]["type"] == CN and new[n]["protect"] for n in added)


def test_turning_chunking_on_keeps_the_first_cluster_network_name(tmp_path: Path) -> None:
    plan = run_plan(stack(tmp_path, "c", {"nodes": 3, "max_nodes_per_cluster_network": 2}))
    sizes = {
        r["name"]: r["inputs"]["instancePools"][0]["size"]
        for r in plan.resources
        if r["type"] == CN
    }
    assert sizes == {"dev-h100-cn": 2, "dev-h100-cn-1": 1}


def test_spares_launch_n_plus_k_and_show_in_capacity(tmp_path: Path) -> None:
    plan = run_plan(stack(tmp_path, "s", {"nodes": 64, "spares": 4}))
    (cn,) = [r for r in plan.resources if r["type"] == CN]
    assert cn["inputs"]["instancePools"][0]["size"] == 68
    pool = plan.capacity.pools[0]
    assert (pool.nodes, pool.spares, pool.gpus) == (68, 4, 544)
    assert pool.usd_per_hour == 68 * 80.0


def test_power_cap_lowers_node_power(tmp_path: Path) -> None:
    plan = run_plan(stack(tmp_path, "p", {"nodes": 10, "gpu_power_cap_w": 500}))
    # 10.2 kW DGX H100 reference minus 8 GPUs x (700 - 500) W = 8.6 kW per node
    assert plan.capacity.pools[0].kw == pytest.approx(86.0)


def test_power_budget_exceeded_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(stack(tmp_path, "b", {"nodes": 100, "spares": 2}, power_budget_kw=1000))
    (problem,) = info.value.problems
    assert problem.key == "gpufleet:power_budget_kw"
    assert problem.message == (
        "the pools draw up to 1,040.4 kW (nodes + spares at maximum node power), over the budget"
    )


def test_power_budget_with_unknown_shape_power_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(stack(tmp_path, "u", {"shape": "BM.GPU.L40S.4"}, power_budget_kw=50))
    assert info.value.problems[0].message == (
        "cannot be checked: no public power figure for BM.GPU.L40S.4"
    )


def test_power_cap_above_tdp_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(stack(tmp_path, "t", {"gpu_power_cap_w": 800}))
    assert info.value.problems[0].message == "above the H100 80GB HBM3's 700 W maximum"


def test_replacing_a_cluster_network_node_declares_a_detach(tmp_path: Path) -> None:
    ocid = "ocid1.instance.oc1.iad.aaaaaaaabadnode000000000001"
    plan = run_plan(stack(tmp_path, "r", {"replace_nodes": {ocid: 2}}))
    (repl,) = [r for r in plan.resources if r["type"] == "pulumi-python:dynamic:Resource"]
    assert repl["name"] == "dev-h100-replace-000000000001-2"
    assert repl["inputs"]["instance_id"] == ocid and repl["inputs"]["generation"] == 2
    assert repl["parent"] == "dev-h100"
    (cn,) = [r for r in plan.resources if r["type"] == CN]
    assert cn["inputs"]["instancePools"][0]["size"] == 2  # the pool keeps its size


def test_replacing_a_compute_cluster_node_recreates_only_it(tmp_path: Path) -> None:

    plan = run_plan(
        stack(
            tmp_path,
            "rc",
            {"mode": "compute_cluster", "nodes": 3, "replace_nodes": {"h100-0002": 1}},
        )
    )
    nodes = {
        r["name"]: r
        for r in plan.resources
        if r["type"] == "oci:Core/instance:Instance" and r["parent"] == "dev-h100"
    }
    assert sorted(nodes) == ["dev-h100-0001", "dev-h100-0002", "dev-h100-0003"]
    assert [n for n, r in nodes.items() if not r["protect"]] == ["dev-h100-0002"]
    # every node carries a trigger keyed by its generation; unlisted nodes stay at gen-0, so
    # listing one changes its value (a trigger appearing from null never fires: pulumi/pulumi
    # step_generator.go shouldTriggerReplace)
    triggers = {n: r.get("replacement_trigger") for n, r in nodes.items()}
    assert triggers == {
        "dev-h100-0001": "gen-0",
        "dev-h100-0002": "gen-1",
        "dev-h100-0003": "gen-0",
    }


def test_replace_keys_must_match_the_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(stack(tmp_path, "k", {"replace_nodes": {"h100-0001": 1}}))
    assert info.value.problems[0].message == (
        "cluster_network pools replace nodes by instance OCID"
    )
