"""`pulumi config set` replayed: the value shapes the CLI stores (config.go configSetCmd,
config/map.go Set, object.go coerce and Set)."""

from __future__ import annotations

import json

import pytest

from infra.engine_rules.config_set import (
    ConfigSetError,
    apply_command,
    commands_in,
    parse_path,
)
from infra.engine_rules.values import Value


def _set(*commands: list[str]) -> dict[str, Value]:
    config: dict[str, Value] = {}
    for argv in commands:
        apply_command(config, "gpufleet", argv)
    return config


def test_top_level_values_are_always_strings() -> None:
    config = _set(["gpufleet:availability_domain", "1"], ["protect_pools", "false"])
    assert config == {
        "gpufleet:availability_domain": Value("1"),
        "gpufleet:protect_pools": Value("false"),  # un-namespaced keys are the project's
    }


def test_path_values_are_coerced_like_the_cli() -> None:
    config = _set(
        ["--path", "gpufleet:pools[0].nodes", "2"],
        ["--path", "gpufleet:pools[0].spares", "0"],
        ["--path", "gpufleet:pools[0].boot_volume_gb", "0512"],  # leading zero: a string
        ["--path", "gpufleet:pools[0].name", "h100"],
        ["--path", "gpufleet:software.cuda", "12.8"],  # floats are not coerced
        ["--path", "gpufleet:software.training.kind", "venv"],
        ["--path", "gpufleet:allow.x", "true"],
        ["--path", "--type", "string", "gpufleet:tags.cost", "4711"],
    )
    assert json.loads(config["gpufleet:pools"].text) == [
        {"nodes": 2, "spares": 0, "boot_volume_gb": "0512", "name": "h100"}
    ]
    assert config["gpufleet:software"].object
    assert json.loads(config["gpufleet:software"].text) == {
        "cuda": "12.8",
        "training": {"kind": "venv"},
    }
    assert json.loads(config["gpufleet:allow"].text) == {"x": True}
    assert json.loads(config["gpufleet:tags"].text) == {"cost": "4711"}


def test_a_new_index_makes_the_list_long_enough() -> None:
    config = _set(["--path", "gpufleet:admin_cidrs[1]", "10.0.0.0/8"])
    assert json.loads(config["gpufleet:admin_cidrs"].text) == [None, "10.0.0.0/8"]
    with pytest.raises(ConfigSetError, match="array index out of range"):
        _set(["--path", "gpufleet:a[0]", "x"], ["--path", "gpufleet:a[5]", "y"])


def test_shape_conflicts_below_the_top_are_errors() -> None:
    with pytest.raises(ConfigSetError, match="expected a map"):
        _set(["--path", "gpufleet:a.b", "x"], ["--path", "gpufleet:a.b.c", "y"])
    # at the first level the CLI replaces a scalar with a container (COMPAT in object.go)
    config = _set(["gpufleet:a", "x"], ["--path", "gpufleet:a.b", "y"])
    assert json.loads(config["gpufleet:a"].text) == {"b": "y"}


def test_property_paths() -> None:
    assert parse_path("pools[0].name") == ["pools", 0, "name"]
    assert parse_path('tags["a.b"]') == ["tags", "a.b"]
    with pytest.raises(ConfigSetError):
        parse_path("pools[x]")


def test_commands_are_split_as_the_shell_splits_them() -> None:
    text = (
        "pulumi stack init prod\n"
        'pulumi config set gpufleet:ssh_public_key "$(cat ~/.ssh/id.pub)"   # a comment\n'
        "pulumi config set --path 'gpufleet:pools[0].name' h100\n"
    )
    assert commands_in(text) == [
        ["gpufleet:ssh_public_key", "$(cat ~/.ssh/id.pub)"],
        ["--path", "gpufleet:pools[0].name", "h100"],
    ]
