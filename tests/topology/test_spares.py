"""Spares: keep the N most compact passing nodes of a pool, hold the rest ready to swap in.

Synthetic placements for the rule itself; for the CLI, IMDS /opc/v2/host facts derived from the
real sample (`tests/facts/cases/imds_host_with_rdma_topology.json`, in the repo, so CI without
shared/ runs them); the real sample itself where shared/ is present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts.base import strip_provenance
from bootstrap.facts.host_topology import parse
from bootstrap.health.quarantine import Quarantine, default_path, save
from bootstrap.inventory.model import Node, PoolSize
from bootstrap.topology import Placement, place
from bootstrap.topology.spares import (
    HealthFileError,
    passing_from_health,
    read_passing,
    select_active,
    select_pools,
)
from tests.topology.test_topology import sample

DERIVED = (
    Path(__file__).resolve().parents[1] / "facts" / "cases" / "imds_host_with_rdma_topology.json"
)


def variant(host: int, *, lb: str, nb: str, island: str = "isl-a") -> str:
    """The derived IMDS host fact, placed in local block `lb` of network block `nb`."""
    doc = json.loads(strip_provenance(DERIVED.read_text()))
    doc["id"] = f"{host:064x}"
    doc["rdmaTopologyData"].update(
        customerHPCIslandId=f"ocid1.hpcisland.oc1.iad.{island}",
        customerLocalBlock=f"ocid1.computelocalblock.oc1.iad.{lb}",
        customerNetworkBlock=f"ocid1.computenetworkblock.oc1.iad.{nb}",
    )
    return json.dumps(doc)


def layout(spec: dict[str, tuple[str, str | None]], island: str = "isl-a") -> dict[str, Placement]:
    """node -> Placement from {node: (local block, network block)}."""
    return {n: Placement(n, f"h-{n}", lb, nb, island) for n, (lb, nb) in spec.items()}


# Network blocks of 3, 1 and 3 nodes, in that topology order.
THREE_ONE_THREE = layout(
    {
        "a1": ("lbA", "nb1"),
        "a2": ("lbA", "nb1"),
        "a3": ("lbA", "nb1"),
        "b1": ("lbB", "nb2"),
        "c1": ("lbC", "nb3"),
        "c2": ("lbC", "nb3"),
        "c3": ("lbD", "nb3"),
    }
)


def test_fewest_network_blocks_beats_a_sliding_window() -> None:
    names = list(THREE_ONE_THREE)
    active, spares = select_active(names, THREE_ONE_THREE, set(names), 6)
    assert active == ["a1", "a2", "a3", "c1", "c2", "c3"]  # 2 network blocks, not 3
    assert spares == ["b1"]


def test_the_partial_network_block_uses_its_largest_local_block() -> None:
    names = list(THREE_ONE_THREE)
    active, spares = select_active(names, THREE_ONE_THREE, set(names), 5)
    # nb1 whole, then 2 of nb3: both from lbC (one local block) rather than lbC + lbD
    assert active == ["a1", "a2", "a3", "c1", "c2"]
    assert spares == ["b1", "c3"]


def test_only_passing_nodes_are_candidates_and_order_is_topology_order() -> None:
    names = list(reversed(THREE_ONE_THREE))  # input order does not matter
    active, spares = select_active(names, THREE_ONE_THREE, {"a1", "b1", "c1", "c2"}, 2)
    assert active == ["c1", "c2"]
    assert spares == ["a1", "b1"]


def test_ties_go_to_topology_order() -> None:
    spec = layout({"x1": ("lb1", "nb1"), "y1": ("lb2", "nb2"), "x2": ("lb1", "nb1")})
    spec["y2"] = Placement("y2", "h-y2", "lb2", "nb2", "isl-a")
    active, spares = select_active(list(spec), spec, set(spec), 2)
    assert (active, spares) == (["x1", "x2"], ["y1", "y2"])


def test_nodes_without_a_placement_are_taken_last() -> None:
    placements = layout({"p1": ("lb1", "nb1"), "p2": ("lb1", "nb1")})
    active, spares = select_active(["u1", "p2", "p1"], placements, {"u1", "p1", "p2"}, 2)
    assert (active, spares) == (["p1", "p2"], ["u1"])
    # and with none placed at all, name order
    assert select_active(["n3", "n1", "n2"], {}, {"n1", "n2", "n3"}, 2) == (["n1", "n2"], ["n3"])


def test_missing_network_block_groups_by_local_block() -> None:
    placements = layout({"r1": ("rackA", None), "r2": ("rackB", None), "r3": ("rackB", None)})
    assert select_active(list(placements), placements, set(placements), 2) == (
        ["r2", "r3"],
        ["r1"],
    )


def test_fewer_passing_than_requested_keeps_all_and_warns() -> None:
    nodes = [Node(n, f"h-{n}", 22, "opc", "h100", "") for n in THREE_ONE_THREE]
    sel = select_pools(nodes, {"h100": PoolSize(8, 1)}, THREE_ONE_THREE, {"a1", "a2", "b1"})
    (pool,) = sel.pools
    assert pool.active == ("a1", "a2", "b1") and pool.spares == () and pool.short_by == 5
    assert pool.not_passing == ("a3", "c1", "c2", "c3")
    assert "only 3 passing nodes for 8 requested" in (pool.warning() or "")
    assert pool.recap() == "pool h100: 3 active of 8 requested, no spares left"


def test_quarantine_swaps_in_the_best_spare() -> None:
    nodes = [Node(n, f"h-{n}", 22, "opc", "h100", "") for n in THREE_ONE_THREE]
    sizes = {"h100": PoolSize(5, 2)}
    before = select_pools(nodes, sizes, THREE_ONE_THREE, None).pools[0]
    assert before.recap() == "pool h100: 5 active, 2 spares ready: b1, c3"
    assert before.warning() is None
    # a2 quarantined: nb1 shrinks to 2, so nb3 (3) then nb1 (2) make the 5; b1 stays spare
    left = [n for n in nodes if n.name != "a2"]
    after = select_pools(left, sizes, THREE_ONE_THREE, None).pools[0]
    assert len(after.active) == 5 and "a2" not in after.active
    assert set(after.active) == {"a1", "a3", "c1", "c2", "c3"}  # still 2 network blocks
    assert after.spares == ("b1",)


def test_pools_without_a_recorded_size_keep_every_passing_node() -> None:
    nodes = [Node("i1", "h", 22, "opc", "infer", ""), Node("i2", "h2", 22, "opc", "infer", "")]
    (pool,) = select_pools(nodes, {}, {}, {"i2"}).pools
    assert (pool.active, pool.spares, pool.requested) == (("i2",), (), None)
    assert "no nodes_requested recorded" in pool.recap()


def test_health_report_parsing(tmp_path: Path) -> None:
    doc = {"nodes": [{"node": "g1", "status": "pass"}, {"node": "g2", "status": "fail"},
                     {"node": "g3", "status": "unreachable"}]}  # fmt: skip
    assert passing_from_health(doc, "health.json") == {"g1"}
    assert read_passing(tmp_path / "health.json") is None
    (tmp_path / "health.json").write_text('{"nodes": [{"node": "g1", "sta')
    with pytest.raises(HealthFileError, match=r"health\.json"):
        read_passing(tmp_path / "health.json")
    with pytest.raises(HealthFileError, match=r"nodes\[0\]"):
        passing_from_health({"nodes": [{"node": "g1", "status": True}]}, "health.json")


def test_real_sample_hosts_in_one_rack_are_kept_together() -> None:
    real = parse(json.dumps(sample()))  # no rdmaTopologyData: rackId / networkBlockId
    placements = {
        "gpu-1": place("gpu-1", "10.0.0.1", real),
        "gpu-2": Placement("gpu-2", "10.0.0.2", "other-rack", "other-block", None),
        "gpu-3": place("gpu-3", "10.0.0.3", real),
    }
    assert placements["gpu-1"].network_block == sample()["networkBlockId"]
    names = list(placements)
    assert select_active(names, placements, set(names), 2) == (["gpu-1", "gpu-3"], ["gpu-2"])


# --- gpufleet topology with an inventory: quarantine, health, spares ----------------------------

CLI_LAYOUT = {  # node: (local block, network block); nb1 holds 3, nb2 holds 2
    "h100-0001": ("lb1", "nb1"),
    "h100-0002": ("lb1", "nb1"),
    "h100-0003": ("lb2", "nb1"),
    "h100-0004": ("lb3", "nb2"),
    "h100-0005": ("lb3", "nb2"),
}


def fleet(tmp_path: Path, requested: int | None = 3, spares: int = 2) -> Path:
    facts = tmp_path / "facts"
    for i, (name, (lb, nb)) in enumerate(CLI_LAYOUT.items()):
        (facts / name).mkdir(parents=True)
        (facts / name / "imds-host.txt").write_text(variant(i, lb=lb, nb=nb))
    inv: dict = {  # type: ignore[type-arg]
        "ssh": {"user": "opc"},
        "nodes": [{"name": n, "host": f"10.0.0.{i}", "pool": "h100"}
                  for i, n in enumerate(CLI_LAYOUT, 1)],
    }  # fmt: skip
    if requested is not None:
        inv["pools"] = {"h100": {"nodes_requested": requested, "spares": spares}}
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inv))
    return path


def run_topology(tmp_path: Path, *extra: str) -> tuple[int, str, list[str], dict]:  # type: ignore[type-arg]
    hostfile, spares = tmp_path / "hostfile", tmp_path / "spares.json"
    result = CliRunner().invoke(cli, [
        "topology", "--facts-dir", str(tmp_path / "facts"), "--inventory",
        str(tmp_path / "inventory.json"), "--hostfile", str(hostfile), "--spares", str(spares),
        "--slurm", str(tmp_path / "topology.conf"), "--allow-unchecked", *extra,
    ])  # fmt: skip
    lines = hostfile.read_text().split() if hostfile.exists() else []
    doc = json.loads(spares.read_text()) if spares.exists() else {}
    return result.exit_code, result.stderr, lines, doc


def test_cli_topology_keeps_n_and_lists_spares(tmp_path: Path) -> None:
    inv = fleet(tmp_path)
    code, err, lines, doc = run_topology(tmp_path)
    assert code == 0, err
    assert lines == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]  # nb1, the block that holds 3
    assert "pool h100: 3 active, 2 spares ready: h100-0004, h100-0005" in err
    assert f"quarantine: 0 nodes excluded, list at {default_path(inv)}" in err
    assert "no report at" in err and "counts as passing" in err
    assert doc["pools"]["h100"]["spares"] == ["h100-0004", "h100-0005"]
    assert "h100-0004" not in (tmp_path / "topology.conf").read_text()


def test_cli_topology_quarantine_swaps_in_a_spare(tmp_path: Path) -> None:
    inv = fleet(tmp_path)
    save(default_path(inv), Quarantine().add("h100-0002", "Xid 79"))
    code, err, lines, doc = run_topology(tmp_path)
    assert code == 0, err
    # nb1 now holds 2, nb2 holds 2: nb1 first in topology order, then one from nb2
    assert lines == ["10.0.0.1", "10.0.0.3", "10.0.0.4"]
    assert f"quarantine: 1 nodes excluded, list at {default_path(inv)}: h100-0002" in err
    assert doc["pools"]["h100"]["spares"] == ["h100-0005"]


def test_cli_topology_health_report_and_short_pool_warn(tmp_path: Path) -> None:
    fleet(tmp_path, requested=3)
    health = {"nodes": [{"node": "h100-0001", "status": "pass"},
                        {"node": "h100-0004", "status": "pass"},
                        {"node": "h100-0002", "status": "fail"}]}  # fmt: skip
    (tmp_path / "health.json").write_text(json.dumps(health))
    code, err, lines, doc = run_topology(tmp_path)
    assert code == 0, err
    assert lines == ["10.0.0.1", "10.0.0.4"]
    assert "warning: pool h100: only 2 passing nodes for 3 requested" in err
    assert doc["pools"]["h100"]["short_by"] == 1


def test_cli_topology_old_inventory_without_pools_keeps_everyone(tmp_path: Path) -> None:
    fleet(tmp_path, requested=None)
    code, err, lines, _ = run_topology(tmp_path)
    assert code == 0, err
    assert len(lines) == 5 and "no nodes_requested recorded" in err


def test_cli_topology_broken_health_report_is_exit_2(tmp_path: Path) -> None:
    fleet(tmp_path)
    (tmp_path / "health.json").write_text("[")
    code, err, lines, _ = run_topology(tmp_path)
    assert code == 2 and "health.json" in err and lines == []
