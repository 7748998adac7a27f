"""A table of bad stack configs and the exact problems they must produce, all at once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, Problem, load_stack_file
from infra.shapes import CATALOG
from tests.infra.conftest import DELETE, EXAMPLE

BASE = yaml.safe_load(EXAMPLE.read_text())["config"]
POOL = BASE["gpufleet:pools"][0]
KNOWN = ", ".join(sorted(CATALOG))


def pools(*overrides: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**POOL, **o} for o in overrides]


# (id, changes, expected (key, value, message) triples -- the complete problem list)
CASES: list[tuple[str, dict[str, Any], list[tuple[str, str, str]]]] = [
    (
        "unknown-shape",
        {"gpufleet:pools": pools({"shape": "BM.GPU.H100.9"})},
        [("gpufleet:pools[0].shape", "'BM.GPU.H100.9'", f"not a known GPU shape; known: {KNOWN}")],
    ),
    (
        "zero-nodes",
        {"gpufleet:pools": pools({"nodes": 0})},
        [("gpufleet:pools[0].nodes", "0", "Input should be greater than or equal to 1")],
    ),
    (
        "duplicate-pool",
        {"gpufleet:pools": pools({}, {})},
        [("gpufleet:pools[1].name", "'h100'", "duplicate pool name; pools[0] already uses it")],
    ),
    ("no-pools", {"gpufleet:pools": []}, [("gpufleet:pools", "[]", "no GPU pools declared")]),
    (
        "bad-vcn-cidr",
        {"gpufleet:vcn_cidr": "10.0.0.1/16"},
        [
            (
                "gpufleet:vcn_cidr",
                "'10.0.0.1/16'",
                "not an IPv4 CIDR block with zero host bits (like 10.0.0.0/16)",
            )
        ],
    ),
    (
        "overlapping-subnets",
        {"gpufleet:subnets": {"bastion": "10.0.0.0/24", "storage": "10.0.0.128/25"}},
        [
            (
                "gpufleet:subnets.storage",
                "'10.0.0.128/25'",
                "overlaps the bastion subnet 10.0.0.0/24",
            )
        ],
    ),
    (
        "subnet-outside-vcn",
        {"gpufleet:subnets": {"nodes": "192.168.0.0/20"}},
        [("gpufleet:subnets.nodes", "'192.168.0.0/20'", "lies outside the VCN 10.0.0.0/16")],
    ),
    (
        "vcn-too-small",
        {"gpufleet:vcn_cidr": "10.0.0.0/24"},
        [
            (
                f"gpufleet:subnets.{role}",
                "(missing)",
                "the VCN 10.0.0.0/24 is too small to carve default subnets (needs /22 or larger)",
            )
            for role in ("bastion", "nodes", "storage")
        ],
    ),
    (
        "node-subnet-too-small",
        {"gpufleet:subnets": {"nodes": "10.0.128.0/30"}},
        [
            (
                "gpufleet:subnets.nodes",
                "'10.0.128.0/30'",
                "holds 1 addresses but the pools ask for 2 nodes",
            )
        ],
    ),
    (
        "bad-compartment-ocid",
        {"gpufleet:compartment_id": "ocid1.instance.oc1..aaaaaaaaxyz"},
        [
            (
                "gpufleet:compartment_id",
                "'ocid1.instance.oc1..aaaaaaaaxyz'",
                "not a well-formed ocid1.compartment.<realm>... or ocid1.tenancy.<realm>... OCID",
            )
        ],
    ),
    (
        "bad-image-ocid",
        {"gpufleet:pools": pools({"image_id": "ami-0abc"})},
        [
            (
                "gpufleet:pools[0].image_id",
                "'ami-0abc'",
                "not a well-formed ocid1.image.<realm>... OCID",
            )
        ],
    ),
    (
        "missing-ssh-key",
        {"gpufleet:ssh_public_key": DELETE},
        [("gpufleet:ssh_public_key", "(missing)", "Field required")],
    ),
    (
        "malformed-ssh-key",
        {"gpufleet:ssh_public_key": "ssh-ed25519 not-base64!!"},
        [
            (
                "gpufleet:ssh_public_key",
                "'ssh-ed25519 not-base64!!'",
                "the body of this ssh-ed25519 key is not valid base64 key data",
            )
        ],
    ),
    (
        "private-key-pasted",
        {"gpufleet:ssh_public_key": "-----BEGIN OPENSSH PRIVATE KEY-----"},
        [
            (
                "gpufleet:ssh_public_key",
                "'-----BEGIN OPENSSH PRIVATE KEY-----'",
                "not an OpenSSH public key line; allowed types: ssh-ed25519, ssh-rsa, "
                "ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521",
            )
        ],
    ),
    (
        "world-open-ssh",
        {"gpufleet:admin_cidrs": ["0.0.0.0/0"]},
        [
            (
                "gpufleet:admin_cidrs[0]",
                "'0.0.0.0/0'",
                "opens the bastion's SSH port to the whole internet",
            )
        ],
    ),
    (
        "no-admin-cidrs",
        {"gpufleet:admin_cidrs": []},
        [("gpufleet:admin_cidrs", "[]", "no admin CIDRs: nobody could reach the bastion")],
    ),
    (
        "os-not-for-shape",
        {
            "gpufleet:pools": pools(
                {
                    "shape": "BM.GPU.GB200.4",
                    "os": "oracle-linux-9",
                    "mode": "compute_cluster",
                    "gpu_memory_fabric_ids": [
                        "ocid1.computegpumemoryfabric.oc1.iad.aaaaaaaaexamplefabric"
                    ],
                }
            )
        },
        [
            (
                "gpufleet:pools[0].os",
                "'oracle-linux-9'",
                "Oracle publishes no oracle-linux-9 image for BM.GPU.GB200.4; supported: "
                "ubuntu-22.04, ubuntu-24.04",
            )
        ],
    ),
    (
        "unsupported-os",
        {"gpufleet:pools": pools({"os": "centos-7"})},
        [
            (
                "gpufleet:pools[0].os",
                "'centos-7'",
                "Input should be 'oracle-linux-8', "
                "'oracle-linux-9', 'ubuntu-22.04' or 'ubuntu-24.04'",
            )
        ],
    ),
    (
        "gb200-in-cluster-network",
        {"gpufleet:pools": pools({"shape": "BM.GPU.GB200.4"})},
        [
            (
                "gpufleet:pools[0].gpu_memory_fabric_ids",
                "[]",
                "2 nodes need 1 GPU memory fabric(s) (18 nodes per NVL72 rack), 0 given",
            ),
            (
                "gpufleet:pools[0].mode",
                "'cluster_network'",
                "BM.GPU.GB200.4 (NVL72 rack) launches only in a compute cluster with a GPU memory "
                "cluster, not in a cluster network",
            ),
        ],
    ),
    (
        "unpinned-driver",
        {"gpufleet:software": {"driver": "latest"}},
        [
            (
                "gpufleet:software.driver",
                "'latest'",
                "not a pinned driver version; allowed: an exact version like '570.172.08' "
                "(no 'latest', ranges or wildcards), or 'image' to keep the image's own driver",
            )
        ],
    ),
    (
        "cuda-range",
        {"gpufleet:software": {"cuda": ">=12.4"}},
        [
            (
                "gpufleet:software.cuda",
                "'>=12.4'",
                "not a pinned version; allowed: an exact version "
                "like '12.8' (no 'latest', ranges or wildcards)",
            )
        ],
    ),
    (
        "unpinned-package",
        {"gpufleet:software": {"training": {"packages": ["transformers"]}}},
        [
            (
                "gpufleet:software.training.packages[0]",
                "'transformers'",
                "not a pinned package; allowed: 'name==version'",
            )
        ],
    ),
    (
        "latest-image",
        {
            "gpufleet:software": {
                "training": {"kind": "container", "image": "nvcr.io/nvidia/pytorch:latest"}
            }
        },
        [
            (
                "gpufleet:software.training.image",
                "'nvcr.io/nvidia/pytorch:latest'",
                "not a pinned container image; allowed: registry/name:tag (not :latest) or "
                "registry/name@sha256:<digest>",
            )
        ],
    ),
    (
        "container-without-image",
        {"gpufleet:software": {"training": {"kind": "container"}}},
        [
            (
                "gpufleet:software.training.image",
                "(missing)",
                "training kind 'container' needs a pinned image",
            )
        ],
    ),
    (
        "unsafe-pool-name",
        {"gpufleet:pools": pools({"name": "H100_Train"})},
        [
            (
                "gpufleet:pools[0].name",
                "'H100_Train'",
                "not safe as an OCI display name and hostname; allowed: 2-24 characters, lowercase "
                "letters, digits and '-', starting with a letter and not ending with '-'",
            )
        ],
    ),
    (
        "injection-in-name",
        {"gpufleet:cluster_name": "x$(touch /tmp/pwn)"},
        [
            (
                "gpufleet:cluster_name",
                "'x$(touch /tmp/pwn)'",
                "not safe as an OCI display name and hostname; allowed: 2-24 characters, lowercase "
                "letters, digits and '-', starting with a letter and not ending with '-'",
            )
        ],
    ),
    (
        "bad-ad",
        {"gpufleet:availability_domain": "AD1"},
        [
            (
                "gpufleet:availability_domain",
                "'AD1'",
                "not an availability domain; allowed: its 1-based index in the region "
                "(1, 2 or 3) or its full name like 'Uocm:US-ASHBURN-AD-1'",
            )
        ],
    ),
    ("typo-key", {"gpufleet:pool": []}, [("gpufleet:pool", "[]", "unknown key")]),
    (
        "small-boot-volume",
        {"gpufleet:pools": pools({"boot_volume_gb": 20})},
        [("gpufleet:pools[0].boot_volume_gb", "20", "Input should be greater than or equal to 50")],
    ),
    (
        "nodes-not-a-number",
        {"gpufleet:pools": pools({"nodes": "two"})},
        [
            (
                "gpufleet:pools[0].nodes",
                "'two'",
                "Input should be a valid integer, unable to parse string as an integer",
            )
        ],
    ),
]


def write(tmp_path: Path, changes: dict[str, Any]) -> Path:
    config = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is DELETE:
            config.pop(key)
        else:
            config[key] = value
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize(
    ("changes", "expected"), [(c, e) for _, c, e in CASES], ids=[i for i, _, _ in CASES]
)
def test_bad_config_reports_exact_problems(
    tmp_path: Path, changes: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(write(tmp_path, changes))
    got = [(p.key, p.value, p.message) for p in info.value.problems]
    assert got == sorted(expected)
    assert all(p.fix for p in info.value.problems)


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    changes: dict[str, Any] = {}
    expected: list[tuple[str, str, str]] = []
    for _, case_changes, case_expected in CASES:
        if any(k in changes for k in case_changes):
            continue  # each key once, so the problems cannot mask each other
        changes.update(case_changes)
        expected += case_expected
    with pytest.raises(ConfigError) as info:
        load_stack_file(write(tmp_path, changes))
    got = [(p.key, p.value, p.message) for p in info.value.problems]
    assert sorted(expected) == got
    assert len(got) >= 10


def test_problem_renders_key_value_message_and_fix() -> None:
    p = Problem("gpufleet:pools[0].nodes", "0", "must be at least 1", "raise the number")
    assert (
        p.render() == "gpufleet:pools[0].nodes = 0: must be at least 1\n    fix: raise the number"
    )


def test_world_open_ssh_allowed_with_explicit_opt_in(tmp_path: Path) -> None:
    config = load_stack_file(
        write(
            tmp_path,
            {"gpufleet:admin_cidrs": ["0.0.0.0/0"], "gpufleet:allow_ssh_from_anywhere": True},
        )
    )
    assert config.admin_cidrs == ("0.0.0.0/0",)


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(write(tmp_path, {"gpufleet:pool": []}))
    assert info.value.problems[0].fix.startswith("did you mean 'pools'?")


def test_yaml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text("config:\n  gpufleet:pools: [\n")
    with pytest.raises(ConfigError) as info:
        load_stack_file(path)
    assert "not valid YAML" in info.value.problems[0].message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_stack_file(tmp_path / "nope.yaml")
    assert info.value.problems[0].message.startswith("cannot read")
