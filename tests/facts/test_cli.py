"""`gpufleet facts parse KIND FILE` via click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bootstrap.cli import cli


def test_parse_recorded_fixture_prints_json(fixture_path):
    path = fixture_path("nvidia_smi_BM.GPU.H200.8_driver570.txt")
    result = CliRunner().invoke(cli, ["facts", "parse", "nvidia-smi", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["count"] == 8 and data["driver_version"] == "570.172.08"
    assert data["gpus"][0]["power_limit_w"] == 700.0


def test_output_is_deterministic(fixture_path):
    path = str(fixture_path("imds_v2_instance_BM.GPU.H100.8.json"))
    runs = [CliRunner().invoke(cli, ["facts", "parse", "imds-instance", path]) for _ in range(2)]
    assert runs[0].output == runs[1].output and runs[0].exit_code == 0


def test_garbage_is_exit_2_one_line_no_traceback(case_path):
    path = case_path("nvidia_smi_H200_garbage_bytes.txt")
    result = CliRunner().invoke(cli, ["facts", "parse", "nvidia-smi", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: facts parse nvidia-smi ") and str(path) in lines[0]
    assert "garbage" in lines[0]


def test_truncated_json_is_exit_2(case_path):
    path = case_path("imds_host_truncated_half.json")
    result = CliRunner().invoke(cli, ["facts", "parse", "imds-host", str(path)])
    assert result.exit_code == 2 and "JSON" in result.output


def test_unknown_kind_lists_known(case_path):
    result = CliRunner().invoke(cli, ["facts", "parse", "bogus", str(case_path("empty.txt"))])
    assert result.exit_code == 2
    assert "unknown fact kind 'bogus'" in result.output and "ibdev2netdev" in result.output


def test_missing_file_is_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["facts", "parse", "xid", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot read" in result.output


def test_binary_file_is_exit_2(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)))
    for kind in ("nvidia-smi-xml", "mounts", "nccl-tests"):
        result = CliRunner().invoke(cli, ["facts", "parse", kind, str(path)])
        assert result.exit_code == 2, (kind, result.output)


def test_kinds_lists_commands():
    result = CliRunner().invoke(cli, ["facts", "kinds"])
    assert result.exit_code == 0 and "ibdev2netdev\ttimeout 10 ibdev2netdev" in result.output
