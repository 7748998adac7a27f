"""`gpufleet health --facts-dir`: the whole offline path, no SSH."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.facts.base import strip_provenance
from tests.health.conftest import (
    fact_case,
    healthy_h200_files,
    inventory,
    read,
    shared,
    with_avg,
    write_node,
)
from tests.recorded.device import H200_VM


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["health", *args])
    return result.exit_code, result.stdout, result.stderr


def fleet(tmp_path: Path, names: list[str]) -> tuple[Path, Path]:
    facts = tmp_path / "facts"
    for name in names:
        write_node(facts, name, healthy_h200_files())
    inv = inventory(tmp_path / "inventory.json", [(n, "train") for n in names])
    return inv, facts


def test_healthy_nodes_pass_exit_0_and_write_json(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1", "gpu-2"])
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts))
    assert code == 0, out
    assert "gpu-1" in out and "2 nodes: 2 pass, 0 fail" in out
    doc = json.loads((tmp_path / "health.json").read_text())
    assert doc["exit_code"] == 0 and [n["status"] for n in doc["nodes"]] == ["pass", "pass"]
    assert json.loads((tmp_path / "quarantine.json").read_text())["nodes"] == []


def test_failed_node_fails_table_names_checks_and_is_quarantined(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1"])
    bad = facts / "gpu-2"
    write_node(facts, "gpu-2", healthy_h200_files())
    (bad / "nvidia-smi-xml.txt").unlink()
    (bad / "nvidia-smi.txt").write_text(read(fact_case("nvidia_smi_H200_7_gpus.txt")))
    down = read(bad / "ibdev2netdev.txt").replace(
        "mlx5_3 port 1 ==> rdma1 (Up)", "mlx5_3 port 1 ==> rdma1 (Down)"
    )
    (bad / "ibdev2netdev.txt").write_text(down)
    inv = inventory(tmp_path / "inventory.json", [("gpu-1", "train"), ("gpu-2", "train")])
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts))
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("gpu-2 "))
    assert "FAIL" in row and "gpu-count" in row and "rdma-link:mlx5_3" in row
    assert "-> " in out  # remedies printed
    q = json.loads((tmp_path / "quarantine.json").read_text())["nodes"]
    assert [e["node"] for e in q] == ["gpu-2"] and "gpu-count" in q[0]["checks"]


def test_ignore_check_downgrades_to_pass(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1"])
    (facts / "gpu-1" / "oca-rdma.txt").write_text(read(fact_case("oca_rdma_in_progress.json")))
    assert run("--inventory", str(inv), "--facts-dir", str(facts))[0] == 1
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts),
                       "--ignore-check", "oca-rdma", "--no-quarantine")  # fmt: skip
    assert code == 0 and "ignored: --ignore-check oca-rdma" in out


def test_unknown_ignore_name_and_bad_inputs_exit_2(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1"])
    code, _, err = run(
        "--inventory", str(inv), "--facts-dir", str(facts), "--ignore-check", "gpu-cuont"
    )
    assert code == 2 and "no such check" in err
    assert run("--inventory", str(tmp_path / "nope.json"), "--facts-dir", str(facts))[0] == 2
    assert run("--inventory", str(inv), "--facts-dir", str(tmp_path / "nope"))[0] == 2
    other = inventory(tmp_path / "odd.json", [("gpu-1", "train")], shape="BM.GPU.Nope")
    assert run("--inventory", str(other), "--facts-dir", str(facts))[0] == 2


def test_node_without_folder_is_unreachable_not_passed(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1"])
    inv = inventory(tmp_path / "inventory.json", [("gpu-1", "train"), ("gpu-9", "train")])
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts), "--json")
    doc = json.loads(out)
    assert code == 1
    assert {n["node"]: n["status"] for n in doc["nodes"]} == {
        "gpu-1": "pass",
        "gpu-9": "unreachable",
    }


def test_multi_node_nccl_pass(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1", "gpu-2"])
    (facts / "_nccl").mkdir()
    real = strip_provenance(read(shared("nccl_allreduce_perf_H100_2node_oci_hpc_docs.txt")))
    (facts / "_nccl" / "train.txt").write_text(real)
    code, out, _ = run(
        "--inventory", str(inv), "--facts-dir", str(facts), "--nccl", "multi", "--json"
    )
    assert code == 0, out
    assert json.loads(out)["pools"][0]["order"] == ["gpu-1", "gpu-2"]


def test_multi_node_nccl_without_a_recorded_run_says_which_file_is_missing(
    tmp_path: Path,
) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1", "gpu-2"])
    code, out, _ = run(
        "--inventory", str(inv), "--facts-dir", str(facts), "--nccl", "multi", "--json"
    )
    assert code == 1
    [finding] = json.loads(out)["pools"][0]["findings"][:1]
    missing = facts / "_nccl" / "train.txt"
    assert finding["message"].endswith(f"no result (no file {missing})"), finding


def test_multi_below_threshold_then_pairwise_names_slow_node(tmp_path: Path) -> None:
    names = ["gpu-1", "gpu-2", "gpu-3", "gpu-4"]
    inv, facts = fleet(tmp_path, names)
    real = strip_provenance(read(shared("nccl_allreduce_perf_H100_2node_oci_hpc_docs.txt")))
    pairs = facts / "_nccl" / "pairs"
    pairs.mkdir(parents=True)
    (facts / "_nccl" / "train.txt").write_text(with_avg(real, 250.0))
    for a, b in [("gpu-1", "gpu-2"), ("gpu-3", "gpu-4"), ("gpu-3", "gpu-1"), ("gpu-4", "gpu-2")]:
        slow = "gpu-4" in (a, b)
        (pairs / f"{a}+{b}.txt").write_text(with_avg(real, 230.0 if slow else 462.0))
    code, out, _ = run(
        "--inventory", str(inv), "--facts-dir", str(facts), "--nccl", "multi", "--json"
    )
    doc = json.loads(out)
    assert code == 1
    status = {n["node"]: (n["status"], n["failing_checks"]) for n in doc["nodes"]}
    assert status["gpu-4"] == ("fail", ["nccl-pair"])
    assert all(status[n][0] == "pass" for n in ["gpu-1", "gpu-2", "gpu-3"])
    q = json.loads((tmp_path / "quarantine.json").read_text())["nodes"]
    assert [e["node"] for e in q] == ["gpu-4"]


def test_single_node_nccl_threshold(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1"])
    real = strip_provenance(read(shared("nccl_allreduce_perf_H100_2node_oci_hpc_docs.txt")))
    (facts / "gpu-1" / "nccl-tests.txt").write_text(with_avg(real, 401.0))
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts), "--nccl", "single")
    assert code == 1 and "nccl-busbw" in out and "401.0" in out


def test_pool_power_cap_from_the_inventory_is_checked(tmp_path: Path) -> None:
    inv, facts = fleet(tmp_path, ["gpu-1"])
    write_node(facts, "gpu-2", healthy_h200_files())
    at_cap = "".join(f"{i}, 500.00, 500.00\n" for i in range(8))  # DERIVED: after -pl 500
    (facts / "gpu-2" / "gpu-power.txt").write_text(at_cap)
    inv = inventory(tmp_path / "inventory.json", [("gpu-1", "train"), ("gpu-2", "train")])
    doc = json.loads(inv.read_text()) | {"pools": {"train": {"gpu_power_cap_w": 500}}}
    inv.write_text(json.dumps(doc))
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts), "--no-quarantine")
    assert code == 1
    report = {n["node"]: n for n in json.loads((tmp_path / "health.json").read_text())["nodes"]}
    assert report["gpu-2"]["status"] == "pass"
    assert report["gpu-1"]["failing_checks"] == [f"gpu-power-cap:{i}" for i in range(8)]
    # The same facts without a cap in the inventory: both pass.
    inv.write_text(json.dumps({k: v for k, v in doc.items() if k != "pools"}))
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts), "--no-quarantine")
    assert code == 0, out


def test_a_large_fleet_lists_only_what_did_not_pass_and_groups_shared_findings(
    tmp_path: Path,
) -> None:
    names = [f"gpu-{i:03d}" for i in range(60)]
    inv, facts = fleet(tmp_path, names)
    mounts = (H200_VM / "mounts.txt").read_text()  # real: no NVMe scratch mounted (a warning)
    for name in names:
        (facts / name / "mounts.txt").write_text(mounts)
    (facts / "gpu-007" / "oca-rdma.txt").write_text(read(fact_case("oca_rdma_in_progress.json")))
    code, out, _ = run("--inventory", str(inv), "--facts-dir", str(facts), "--no-quarantine")
    assert code == 1
    rows = [line for line in out.splitlines() if line.startswith("gpu-")]
    assert len(rows) == 1 and rows[0].startswith("gpu-007 ") and "oca-rdma" in rows[0]
    assert "(59 passing nodes not listed: see the JSON report)" in out
    shared = next(line for line in out.splitlines() if "local-nvme" in line)
    assert shared.startswith("60 nodes  warning  local-nvme:")
    assert "[gpu-000, gpu-001, gpu-002, gpu-003, gpu-004, ... (55 more)]" in shared
    assert "60 nodes: 59 pass, 1 fail, 0 unreachable" in out
    doc = json.loads((tmp_path / "health.json").read_text())
    assert len(doc["nodes"]) == 60  # the report keeps every node


def test_nodes_of_a_shape_without_gpu_checks_are_refused_not_passed(tmp_path: Path) -> None:
    """MI300X has no amd-smi facts or GPU checks: a node with dead GPUs would pass the gate."""
    _, facts = fleet(tmp_path, ["gpu-1"])
    amd = inventory(tmp_path / "amd.json", [("gpu-1", "train")], shape="BM.GPU.MI300X.8")
    code, out, err = run("--inventory", str(amd), "--facts-dir", str(facts))
    assert code == 2, out
    assert "cannot judge nodes of BM.GPU.MI300X.8: gpufleet cannot bootstrap or health-check" in err
    assert "no amd-smi facts or GPU checks" in err and "fix: leave them out" in err
