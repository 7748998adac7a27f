"""Bad input is exit 2 with a clear message, before anything is touched (no sshd needed)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.runner.fleet_helpers import gpufleet


def _inventory(tmp_path: Path, **node: object) -> Path:
    (tmp_path / "known_hosts").write_text("")
    doc = {
        "ssh": {"user": "opc", "identity_file": "id", "known_hosts": "known_hosts"},
        "nodes": [{"name": "a-1", "host": "127.0.0.1", "pool": "train", **node}],
    }
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc))
    return path


def test_malformed_inventory(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path, port=0)
    (tmp_path / "s.sh").write_text("true\n")
    result = gpufleet(
        "bootstrap",
        "--inventory",
        str(inventory),
        "--script",
        str(tmp_path / "s.sh"),
        "--logs",
        str(tmp_path / "logs"),
    )
    assert result.exit_code == 2
    assert result.output == (
        "gpufleet: error: inventory.json: nodes[0] (a-1): field 'port': must be an integer "
        "1-65535, got 0\n"
    )
    assert not (tmp_path / "logs").exists()


def test_missing_rendered_script_names_the_pool(tmp_path: Path) -> None:
    result = gpufleet(
        "bootstrap",
        "--inventory",
        str(_inventory(tmp_path)),
        "--rendered",
        str(tmp_path / "out"),
        "--logs",
        str(tmp_path / "logs"),
    )
    assert result.exit_code == 2
    assert f"script not found: {tmp_path}/out/train/bootstrap.sh (pool train)" in result.output
    assert not (tmp_path / "logs").exists()


def test_missing_key_file_and_missing_known_hosts(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path)
    args = ["run", "--inventory", str(inventory), "--logs", str(tmp_path / "logs"), "--", "true"]
    result = gpufleet(*args)
    assert result.exit_code == 2
    assert f"identity file {tmp_path}/id does not exist" in result.output
    (tmp_path / "known_hosts").unlink()
    result = gpufleet(*args)
    assert result.exit_code == 2
    assert "--accept-new-host-keys" in result.output
    assert not (tmp_path / "logs").exists()


def test_unknown_retry_run_and_unknown_limit(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path)
    base = ["bootstrap", "--inventory", str(inventory), "--logs", str(tmp_path / "logs")]
    result = gpufleet(*base, "--retry-failed", "20990101-000000-dead")
    assert result.exit_code == 2 and "no results for run '20990101-000000-dead'" in result.output
    result = gpufleet(*base, "--script", str(inventory), "--limit", "b-9")
    assert (
        result.exit_code == 2 and "--limit names nodes not in the selection: b-9" in result.output
    )
