"""The one loader for files we are handed: hostile YAML/JSON is refused before it is expanded."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from infra.config import ConfigError, load_stack_file
from infra.input_file import (
    MAX_DEPTH,
    MAX_YAML_BYTES,
    InputFileError,
    load_json,
    load_yaml,
    parse_json,
)
from tests.hostile_inputs import billion_laughs


def test_billion_laughs_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bomb.yaml"
    path.write_text(billion_laughs())
    assert path.stat().st_size < 2048
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as info:
            load_stack_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "aliases expand to more than" in info.value.render()
    assert str(path) in info.value.render()
    assert peak < 5_000_000  # the refusal costs the file's graph, not its expansion


def test_a_few_aliases_are_still_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {shape: BM.GPU.H100.8, nodes: 2}\npools: [*b, *b]\n")
    doc = load_yaml(path, "stack config")
    assert doc["pools"] == [{"shape": "BM.GPU.H100.8", "nodes": 2}] * 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"a: &a [*a]\n", "refers to itself", id="recursive-alias"),
        pytest.param(b"[" * 5000 + b"]" * 5000, f"deeper than {MAX_DEPTH}", id="deep-flow"),
        pytest.param(
            b"".join(b"  " * i + b"k:\n" for i in range(200)) + b"  " * 200 + b"v\n",
            f"deeper than {MAX_DEPTH}",
            id="deep-block",
        ),
        pytest.param(
            b"a: &a " + b"[" * 40 + b"x" + b"]" * 40 + b"\nb: " + b"[" * 40 + b"*a" + b"]" * 40,
            "aliases nest deeper",
            id="deep-by-alias",
        ),
        pytest.param(b"a: 1\nb: 2\na: 3\n", "key 'a' is written twice (lines 1 and 3)", id="dup"),
        pytest.param(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "NUL bytes", id="binary"),
        pytest.param(b"name: caf\xe9\n", "not UTF-8 text (byte 0xe9 at offset 9)", id="latin-1"),
        pytest.param(b"name: \x07\n", "control character #x0007", id="control-char"),
        pytest.param(b"a: [1\nb: 2\n", "not valid YAML at line 2", id="syntax"),
        pytest.param(b"a: 1\n---\nb: 2\n", "not valid YAML", id="two-documents"),
    ],
)
def test_hostile_yaml_is_refused_with_the_file_and_a_fix(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        load_yaml(path, "stack config")
    assert expected in info.value.problem
    assert str(path) in str(info.value)
    assert info.value.fix


def test_size_is_capped_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(InputFileError, match="larger than"):
        load_yaml(path, "stack config")
    # A device that never ends is read only up to the cap.
    with pytest.raises(InputFileError, match="larger than"):
        load_yaml(Path("/dev/zero"), "stack config")


def test_a_directory_is_named_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read the inventory: Is a directory"):
        load_json(tmp_path, "inventory")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 200_000])
def test_deep_json_is_refused(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "inventory.json"
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(InputFileError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_json(path, "inventory")


def test_json_at_the_depth_limit_loads() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
