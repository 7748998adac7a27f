"""The node-side checker, run for real: the rendered wrapper runs the zipapp with python -I -S in
a sandbox whose only tools are recorded-output fakes (real outputs from tests/health/cases,
tests/facts/cases and shared/fixtures, via tests.health.conftest)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bootstrap.health.nccl.mpirun import single_node_command
from bootstrap.nodecheck import checker
from bootstrap.nodecheck.zipapp import checker_pyz
from bootstrap.render.steps.health_timer import HEALTH_OUT
from infra.shapes import CATALOG
from tests.health.conftest import healthy_h200_files, read
from tests.nodecheck.sandbox import QUIET_DMESG, CheckNode, leftovers
from tests.render.configs import config_with, pool

H200 = CATALOG["BM.GPU.H200.8"]


def healthy_facts() -> dict[str, str]:
    """Fact key -> recorded output of a healthy BM.GPU.H200.8 node (as the fakes serve it)."""
    facts = {key: read(path) for key, path in healthy_h200_files().items()}
    facts.pop("xid")  # the xid COMMAND greps dmesg itself: serve a kernel log instead
    facts.pop("imds-host")  # topology: not a node check
    facts["dmesg"] = QUIET_DMESG
    return facts


def make(tmp_path: Path, **overrides: str) -> CheckNode:
    facts = healthy_facts() | {k.replace("_", "-"): v for k, v in overrides.items()}
    config = config_with(pool(H200.name, "oracle-linux-9", name="h200"))
    node = CheckNode(tmp_path, config, facts)
    node.install_checker(checker_pyz())
    return node


def test_healthy_node_writes_pass(tmp_path: Path):
    node = make(tmp_path)
    proc = node.run()
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = node.health()
    assert doc["verdict"] == "pass", doc["errors"]
    assert doc["errors"] == [] and doc["failing_checks"] == []
    assert (doc["schema"], doc["pool"], doc["shape"]) == (1, "h200", H200.name)
    assert doc["checked_at"].endswith("Z")
    # Every fact kind the checks need ran once, each per-port 802.1X query too; nothing else.
    assert set(doc["facts"]) == {
        "nvidia-smi-xml", "fabric-manager", "ibdev2netdev", "ip-addr", "oca-rdma", "mounts",
        "imds-instance", "xid", "nvlink", "ibv-devinfo", "oca-version", "gpu-power",
        *(f"wpa-cli.rdma{i}" for i in range(8)),
    }  # fmt: skip
    assert all(f["exit_code"] == 0 and not f["cut"] for f in doc["facts"].values())
    calls = node.calls()
    assert "wpa_cli -i rdma3 status" in calls
    assert not any("all_reduce_perf" in c for c in calls), "periodic checks never run NCCL"
    assert "all_reduce_perf" in single_node_command(H200)  # (the string it would have used)
    assert (node.out.stat().st_mode & 0o777) == 0o644


def test_ecc_error_fails_naming_the_check_and_remedy(tmp_path: Path):
    # DERIVED from tests/health/cases/nvidia_smi_q_x_H200_8gpus.xml: GPU 0's volatile DRAM
    # uncorrectable ECC count set to 2.
    xml = healthy_facts()["nvidia-smi-xml"].replace(
        "<dram_uncorrectable>0</dram_uncorrectable>",
        "<dram_uncorrectable>2</dram_uncorrectable>",
        1,
    )
    node = make(tmp_path, nvidia_smi_xml=xml)
    proc = node.run()
    assert proc.returncode == 1
    doc = node.health()
    assert doc["verdict"] == "fail"
    [ecc] = [e for e in doc["errors"] if e["check"].startswith("gpu-ecc")]
    assert doc["failing_checks"] == [ecc["check"]]
    assert "uncorrectable ECC" in ecc["message"] and "nvidia-smi -r" in ecc["remedy"]
    assert ecc["check"] in proc.stderr  # the journal shows it too


def test_link_down_fails_naming_the_device_and_remedy(tmp_path: Path):
    # DERIVED from tests/health/cases/ibdev2netdev_H200.txt: mlx5_5 (rdma3) Down.
    links = healthy_facts()["ibdev2netdev"].replace("rdma3 (Up)", "rdma3 (Down)")
    node = make(tmp_path, ibdev2netdev=links)
    assert node.run().returncode == 1
    doc = node.health()
    assert doc["verdict"] == "fail"
    assert "rdma-link:mlx5_5" in doc["failing_checks"]
    down = next(e for e in doc["errors"] if e["check"] == "rdma-link:mlx5_5")
    assert "Down" in down["message"] and "mlxlink -d mlx5_5" in down["remedy"]


def test_missing_tool_is_an_error_never_a_pass(tmp_path: Path):
    node = make(tmp_path)
    node.install_fakes(omit=("ibdev2netdev",))
    assert node.run().returncode == 1
    doc = node.health()
    assert doc["verdict"] == "fail"
    assert doc["facts"]["ibdev2netdev"]["exit_code"] == 127  # timeout: command not found
    for check in ("rdma-link", "rdma-address", "rdma-mtu", "dot1x"):
        err = next(e for e in doc["errors"] if e["check"] == check)
        assert "cannot verify" in err["message"] and "ibdev2netdev" in err["remedy"]
    # Without the port names there is no 802.1X query to make.
    assert not any(c.startswith("wpa_cli") for c in node.calls())


def test_garbage_output_is_an_error(tmp_path: Path):
    node = make(tmp_path, mounts="\x00\x01binary garbage\n")
    assert node.run().returncode == 1
    assert "local-nvme" in node.health()["failing_checks"]


def test_wrong_shape_fails_shape_match(tmp_path: Path):
    node = make(tmp_path)
    node.wrapper.write_text(node.wrapper.read_text().replace(H200.name, "BM.GPU.H100.8"))
    assert node.run().returncode == 1
    assert "shape-match" in node.health()["failing_checks"]


def test_rewrite_replaces_the_file_atomically(tmp_path: Path):
    node = make(tmp_path)
    node.out.parent.mkdir(parents=True)
    node.out.write_text('{"verdict": "stale"}\n')
    before = node.out.stat().st_ino
    assert node.run().returncode == 0
    assert node.health()["verdict"] == "pass"
    assert node.out.stat().st_ino != before, "a new file renamed over the old one"
    assert leftovers(node.out.parent) == []


def test_write_atomic_keeps_the_old_file_when_the_write_fails(tmp_path: Path, monkeypatch):
    out = tmp_path / "health.json"
    out.write_text("old\n")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        checker.write_atomic(out, "new\n")
    assert out.read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_checker_not_installed_reports_fail(tmp_path: Path):
    node = make(tmp_path)
    node.checker.unlink()
    proc = node.run()
    assert proc.returncode == 1
    doc = node.health()
    assert doc["verdict"] == "fail" and doc["failing_checks"] == ["health-checker"]
    [err] = doc["errors"]
    assert err["message"].startswith("checker not yet installed")
    assert "run gpufleet bootstrap for pool h200" in err["remedy"]
    assert node.calls() == [], "no check ran"
    assert leftovers(node.out.parent) == []


def test_checker_crash_and_missing_python_report_fail(tmp_path: Path):
    node = make(tmp_path)
    python = node.bin / "python3.11"
    python.unlink()
    assert node.run().returncode == 1
    assert "python3.11 not found" in node.health()["errors"][0]["message"]
    # An interpreter that dies without a verdict (e.g. too old: the zipapp exits 3).
    python.write_text("#!/bin/bash\nexit 3\n")
    python.chmod(0o755)
    assert node.run().returncode == 1
    doc = node.health()
    assert doc["verdict"] == "fail"
    assert "exited 3 without a verdict" in doc["errors"][0]["message"]


def test_runner_backstop_kills_a_hung_pipeline_and_marks_it_cut():
    started = time.monotonic()
    fact = checker.run_sh("echo partial; sleep 30 | cat", 0.5)
    assert fact.cut and fact.exit_code is None and fact.text == "partial\n"
    assert time.monotonic() - started < 10, "a child holding stdout must not stall the check"


def test_out_path_matches_the_rendered_one():
    assert checker.OUT_PATH == HEALTH_OUT


def make_capped(tmp_path: Path, cap: int, **overrides: str) -> CheckNode:
    facts = healthy_facts() | {k.replace("_", "-"): v for k, v in overrides.items()}
    config = config_with(pool(H200.name, "oracle-linux-9", name="h200") | {"gpu_power_cap_w": cap})
    node = CheckNode(tmp_path, config, facts)
    node.install_checker(checker_pyz())
    return node


def test_the_pool_cap_reaches_the_checker_and_fails_uncapped_gpus(tmp_path: Path):
    node = make_capped(tmp_path, 500)  # the healthy sample enforces the 700 W board limit
    assert "--gpu-power-cap-w 500 --out" in node.wrapper.read_text()
    assert node.run().returncode == 1
    doc = node.health()
    assert doc["expect"] == {"gpu_power_cap_w": 500}
    assert doc["failing_checks"] == [f"gpu-power-cap:{i}" for i in range(8)]
    err = doc["errors"][0]
    assert "enforces 700 W; the pool's cap is 500 W" in err["message"]
    assert "gpufleet bootstrap --only gpu_power" in err["remedy"]


def test_gpus_at_the_pool_cap_pass(tmp_path: Path):
    at_cap = "".join(f"{i}, 500.00, 500.00\n" for i in range(8))  # DERIVED: -pl 500 applied
    node = make_capped(tmp_path, 500, gpu_power=at_cap)
    proc = node.run()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert node.health()["verdict"] == "pass"


def test_no_cap_renders_no_cap_argument(tmp_path: Path):
    node = make(tmp_path)
    assert "--gpu-power-cap-w" not in node.wrapper.read_text()
    assert node.run().returncode == 0
    assert node.health()["expect"] == {"gpu_power_cap_w": None}


@pytest.mark.parametrize("bad", ["0", "-5", "5.5", "x"])
def test_bad_cap_argument_is_a_usage_error(tmp_path: Path, bad: str, capsys):
    code = None
    try:
        checker.main(["--shape", H200.name, "--gpu-power-cap-w", bad, "--out", str(tmp_path / "h")])
    except SystemExit as exc:
        code = exc.code
    assert code == checker.EXIT_USAGE
    assert "watts" in capsys.readouterr().err


def test_every_report_the_node_writes_is_a_valid_node_report_fact(tmp_path: Path):
    """What `gpufleet health --source node-report` reads: the checker's own report and the
    wrapper's fallback both parse as the node-report fact, with the same verdict."""
    from bootstrap.facts.node_report import parse as parse_report

    node = make(tmp_path)
    assert node.run().returncode == 0
    ok = parse_report(node.out.read_text())
    assert (ok.verdict, ok.shape, ok.errors) == ("pass", H200.name, ())
    node.checker.unlink()
    assert node.run().returncode == 1
    fallback = parse_report(node.out.read_text())
    assert fallback.verdict == "fail" and [e.check for e in fallback.errors] == ["health-checker"]
