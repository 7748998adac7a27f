from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.health.quarantine import (
    Quarantine,
    QuarantineError,
    admit,
    filter_inventory,
    load,
    save,
)
from bootstrap.inventory.load import load_inventory
from tests.health.conftest import inventory


def test_add_list_release_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "quarantine.json"
    assert load(path).entries == ()
    q = Quarantine().add("gpu-2", "health gate", ["gpu-count"], since="2025-01-01T00:00:00Z")
    q = q.add("gpu-1", "manual", [])
    save(path, q)
    again = load(path)
    assert [e.node for e in again.entries] == ["gpu-1", "gpu-2"]
    assert again.get("gpu-2").checks == ("gpu-count",)  # type: ignore[union-attr]
    updated = again.add("gpu-2", "still bad", ["rdma-link:mlx5_3"])
    assert updated.get("gpu-2").since == "2025-01-01T00:00:00Z"  # type: ignore[union-attr]
    assert updated.release("gpu-2").names == {"gpu-1"}
    with pytest.raises(KeyError):
        updated.release("gpu-9")


def test_a_broken_file_is_an_error_never_an_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "quarantine.json"
    path.write_text('{"schema": 1, "nodes": [{"node": ')
    with pytest.raises(QuarantineError, match=r"quarantine\.json"):
        load(path)
    path.write_text(json.dumps({"schema": 1, "nodes": [{"reason": "x"}]}))
    with pytest.raises(QuarantineError, match="'node'"):
        load(path)


def test_exports_exclude_quarantined_nodes(tmp_path: Path) -> None:
    inv = load_inventory(inventory(tmp_path / "inv.json", [("gpu-1", "t"), ("gpu-2", "t")]))
    q = Quarantine().add("gpu-1", "bad")
    assert [n.name for n in filter_inventory(inv, q).nodes] == ["gpu-2"]
    assert admit(["gpu-2", "gpu-1", "gpu-3"], q) == ["gpu-2", "gpu-3"]
