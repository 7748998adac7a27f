"""Topology from the real IMDS /opc/v2/host sample and variants derived from it in code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts.base import strip_provenance
from bootstrap.facts.host_topology import parse
from bootstrap.health.quarantine import Quarantine, save
from bootstrap.topology import order, place, render_hostfile, topology_conf
from bootstrap.topology.slurm import MAX_NAME, short_names
from tests.recorded import RECORDED

SAMPLE = RECORDED / "imds_v2_host.json"


def sample() -> dict:  # type: ignore[type-arg]
    if not SAMPLE.is_file():
        pytest.skip(f"recorded fixture {SAMPLE} not present")
    return json.loads(strip_provenance(SAMPLE.read_text()))


def variant(host: int, *, lb: str, nb: str, island: str = "isl-a") -> str:
    """The real sample with rdmaTopologyData added (key names from facts/oci.md §5.4)."""
    doc = sample()
    doc["id"] = f"{host:064x}"
    doc["rdmaTopologyData"] = {
        "customerHPCIslandId": f"ocid1.hpcisland.oc1.iad.{island}",
        "customerHostId": f"ocid1.computebaremetalhost.oc1.iad.host{host}",
        "customerLocalBlock": f"ocid1.computelocalblock.oc1.iad.{lb}",
        "customerNetworkBlock": f"ocid1.computenetworkblock.oc1.iad.{nb}",
    }
    return json.dumps(doc)


def test_real_sample_falls_back_to_rack_and_network_block_id() -> None:
    doc = sample()
    p = place("gpu-1", "10.0.0.1", parse(json.dumps(doc)))
    assert p.local_block == doc["rackId"] and p.network_block == doc["networkBlockId"]
    assert p.island is None
    assert render_hostfile([p], slots=8) == "10.0.0.1 slots=8\n"


LAYOUT = {  # node: (local block, network block, island)
    "gpu-a": ("lb2", "nb1", "isl-a"),
    "gpu-b": ("lb1", "nb1", "isl-a"),
    "gpu-c": ("lb3", "nb2", "isl-a"),
    "gpu-d": ("lb2", "nb1", "isl-a"),
    "gpu-e": ("lb1", "nb1", "isl-a"),
}


def placements(layout: dict = LAYOUT) -> list:  # type: ignore[type-arg]
    return [
        place(name, f"h-{name}", parse(variant(i, lb=lb, nb=nb, island=isl)))
        for i, (name, (lb, nb, isl)) in enumerate(layout.items())
    ]


def test_order_groups_local_blocks_within_network_blocks() -> None:
    names = [p.node for p in order(placements())]
    assert names == ["gpu-b", "gpu-e", "gpu-a", "gpu-d", "gpu-c"]
    assert [p.node for p in order(reversed(placements()))] == names  # input order irrelevant


def test_topology_conf_tree() -> None:
    conf = topology_conf(placements()).splitlines()
    leaves = [line for line in conf if "Nodes=" in line]
    assert [line.split("Nodes=")[1] for line in leaves] == ["gpu-b,gpu-e", "gpu-a,gpu-d", "gpu-c"]
    nb_lines = [line for line in conf if line.startswith("SwitchName=nb-")]
    assert len(nb_lines) == 2 and nb_lines[0].count(",") == 1  # nb1 has 2 leaves
    assert next(line for line in conf if line.startswith("SwitchName=isl-")).count("nb-") == 2
    assert not any(line.startswith("SwitchName=root") for line in conf)
    assert all(len(line.split()[0].split("=")[1]) <= MAX_NAME for line in conf)


def test_two_islands_get_a_root() -> None:
    layout = {"n1": ("lb1", "nb1", "isl-a"), "n2": ("lb2", "nb2", "isl-b")}
    conf = topology_conf(placements(layout))
    assert conf.splitlines()[-1].startswith("SwitchName=root Switches=isl-")


def test_short_names_unique_and_bounded() -> None:
    ids = [f"ocid1.computelocalblock.oc1.iad.{'x' * 80}{i}" for i in range(3)]
    names = short_names(ids, "lb-")
    assert len(set(names.values())) == 3
    assert all(len(n) <= MAX_NAME for n in names.values())


def test_cli_topology_excludes_quarantined_nodes(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    for i, (name, (lb, nb, isl)) in enumerate(LAYOUT.items()):
        (facts / name).mkdir(parents=True)
        (facts / name / "imds-host.txt").write_text(variant(i, lb=lb, nb=nb, island=isl))
    save(tmp_path / "q.json", Quarantine().add("gpu-e", "bad"))
    hostfile, slurm = tmp_path / "hosts", tmp_path / "topology.conf"
    result = CliRunner().invoke(cli, [
        "topology", "--facts-dir", str(facts), "--quarantine-file", str(tmp_path / "q.json"),
        "--hostfile", str(hostfile), "--slurm", str(slurm), "--allow-unchecked",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert hostfile.read_text().split() == ["gpu-b", "gpu-a", "gpu-d", "gpu-c"]
    assert "gpu-e" not in slurm.read_text()


def test_cli_topology_bad_fact_exits_2(tmp_path: Path) -> None:
    (tmp_path / "gpu-1").mkdir()
    (tmp_path / "gpu-1" / "imds-host.txt").write_text('{"id": "x", "rack')
    result = CliRunner().invoke(
        cli, ["topology", "--facts-dir", str(tmp_path), "--allow-unchecked"]
    )
    assert result.exit_code == 2 and "imds-host.txt" in result.stderr
