"""Policy rules, each both ways: the real manifest of Pulumi.example.yaml passes, a mutated
copy fails with the named policy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from infra.offline.plan import run_plan
from policy import compat
from policy.offline import Violation, check_manifest
from policy.rules import Options, Settings, no_public_ip_on_gpu_nodes, ssh_only_to_bastion


@pytest.fixture(scope="module")
def plan() -> Any:
    return run_plan()


def _mutate(plan: Any, name: str, fn: Callable[[dict], None], protect: bool | None = None) -> dict:
    manifest = copy.deepcopy(plan.manifest())
    res = next(r for r in manifest["resources"] if r["name"] == name)
    fn(res["inputs"])
    if protect is not None:
        res["protect"] = protect
    return manifest


def _launch(inputs: dict) -> dict:
    return inputs["instanceDetails"]["launchDetails"]


def _names(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.policy, v.resource) for v in violations]


def test_example_stack_is_clean(plan: Any) -> None:
    assert check_manifest(plan.manifest(), plan.config) == []


@pytest.mark.parametrize(
    ("name", "mutation", "policy"),
    [
        (
            "dev-h100-ic",
            lambda i: _launch(i)["createVnicDetails"].update(assignPublicIp=True),
            "no-public-ip-on-gpu-nodes",
        ),
        (
            "dev-h100-ic",
            lambda i: _launch(i)["createVnicDetails"].pop("assignPublicIp"),
            "no-public-ip-on-gpu-nodes",
        ),
        (
            "dev-bastion-ssh-admin-0",
            lambda i: i.update(source="198.51.100.0/24"),
            "ssh-only-to-bastion",
        ),
        (
            "dev-nodes-ssh-from-bastion",
            lambda i: i.update(source="203.0.113.0/24", sourceType="CIDR_BLOCK"),
            "ssh-only-to-bastion",
        ),
        (
            "dev-base-sl",
            lambda i: i["ingressSecurityRules"].append(
                {
                    "protocol": "6",
                    "source": "0.0.0.0/0",
                    "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}},
                }
            ),
            "ssh-only-to-bastion",
        ),
        (
            "dev-h100-ic",
            lambda i: _launch(i)["agentConfig"]["pluginsConfigs"].pop(0),
            "rdma-plugins-enabled",
        ),
        (
            "dev-h100-ic",
            lambda i: _launch(i)["agentConfig"].update(areAllPluginsDisabled=True),
            "rdma-plugins-enabled",
        ),
        (
            "dev-h100-ic",
            lambda i: _launch(i)["sourceDetails"].update(bootVolumeSizeInGbs="40"),
            "boot-volume-minimum",
        ),
        ("dev-storage-bucket", lambda i: i.update(accessType="ObjectRead"), "bucket-not-public"),
    ],
)
def test_mutation_violates(
    plan: Any, name: str, mutation: Callable[[dict], None], policy: str
) -> None:
    violations = check_manifest(_mutate(plan, name, mutation), plan.config)
    assert _names(violations) == [(policy, name)]
    assert violations[0].mandatory and violations[0].message


def test_unprotected_pool(plan: Any) -> None:
    manifest = _mutate(plan, "dev-h100-cn", lambda i: None, protect=False)
    (violation,) = check_manifest(manifest, plan.config)
    assert (violation.policy, violation.resource, violation.mandatory) == (
        "gpu-pools-protected",
        "dev-h100-cn",
        True,
    )
    # a stack that opted out explicitly gets an advisory, not a failure
    (advisory,) = check_manifest(
        manifest, {"protect_pools": False, "admin_cidrs": ["203.0.113.0/24"]}
    )
    assert advisory.mandatory is False


def test_compute_cluster_nodes_protected_and_private(tmp_path: Any) -> None:
    from infra.offline.plan import EXAMPLE_STACK

    stack = tmp_path / "Pulumi.cc.yaml"
    stack.write_text(
        EXAMPLE_STACK.read_text().replace("mode: cluster_network", "mode: compute_cluster")
    )
    cc = run_plan(stack)
    assert check_manifest(cc.manifest(), cc.config) == []
    manifest = copy.deepcopy(cc.manifest())
    node = next(r for r in manifest["resources"] if r["name"] == "dev-h100-0001")
    node["protect"] = False
    node["inputs"]["createVnicDetails"]["assignPublicIp"] = "true"
    assert _names(check_manifest(manifest, cc.config)) == [
        ("gpu-pools-protected", "dev-h100-0001"),
        ("no-public-ip-on-gpu-nodes", "dev-h100-0001"),
    ]


def test_boot_volume_minimum_is_configurable(plan: Any) -> None:
    settings = {
        "admin_cidrs": ["203.0.113.0/24"],
        "vcn_cidr": "10.0.0.0/16",
        "min_boot_volume_gb": 512,
    }
    assert _names(check_manifest(plan.manifest(), settings)) == [
        ("boot-volume-minimum", "dev-h100-ic")
    ]


def test_bastion_public_ip_is_allowed() -> None:
    props = {"shape": "VM.Standard.E5.Flex", "createVnicDetails": {"assignPublicIp": "true"}}
    assert (
        list(no_public_ip_on_gpu_nodes("oci:Core/instance:Instance", props, Options(), Settings()))
        == []
    )


def test_ssh_inside_vcn_is_not_outside() -> None:
    props = {
        "direction": "INGRESS",
        "protocol": "6",
        "source": "10.0.5.0/24",
        "sourceType": "CIDR_BLOCK",
        "networkSecurityGroupId": "nodes-nsg-id",
    }
    rtype = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
    assert (
        list(ssh_only_to_bastion(rtype, props, Options(), Settings(vcn_cidr="10.0.0.0/16"))) == []
    )
    assert list(
        ssh_only_to_bastion(
            rtype, dict(props, source="0.0.0.0/0"), Options(), Settings(vcn_cidr="10.0.0.0/16")
        )
    )


@pytest.mark.parametrize(
    ("driver", "cuda", "nccl", "bad"),
    [
        ("570.172.08", "12.8", "2.23.4-1", None),  # the example stack
        ("560.35.03", "12.6", "2.23.4-1", None),
        ("550.54.15", "12.8", "2.23.4-1", "older than CUDA 12.8 needs"),
        ("570.172.08", "12.7", "2.23.4-1", "CUDA 12.7 is not in the known-compatible matrix"),
        ("570.172.08", "12.4", "2.23.4-1", "built for CUDA 12.6"),
        ("570.172.08", "12.8", "2.99.1-1", "NCCL 2.99.1-1 is not in the known-compatible matrix"),
        # the image's driver is checked on the node against the same minimum
        ("image", "12.8", "2.23.4-1", None),
        ("image", "12.7", "2.23.4-1", "CUDA 12.7 is not in the known-compatible matrix"),
    ],
)
def test_software_matrix(plan: Any, driver: str, cuda: str, nccl: str, bad: str | None) -> None:
    problems = compat.problems(compat.Software(driver, cuda, nccl))
    assert (problems == []) if bad is None else any(bad in p for p in problems)
    config = {
        "admin_cidrs": ["203.0.113.0/24"],
        "vcn_cidr": "10.0.0.0/16",
        "software": {"driver": driver, "cuda": cuda, "nccl": nccl},
    }
    violations = check_manifest(plan.manifest(), config)
    assert _names(violations) == (
        [] if bad is None else [("software-compatible", "software")] * len(violations)
    )


def test_every_matrix_entry_has_a_source() -> None:
    assert all(src for _, src in compat.CUDA_MIN_DRIVER.values())
    assert all(src for _, src in compat.NCCL_CUDA_BUILD.values())


@pytest.mark.parametrize(
    ("torch", "cuda", "build", "bad"),
    [
        ("2.7.1", "12.8", "cu128", None),  # the example stack
        ("2.7.1", "12.9", "cu128", None),  # no cu129 build of 2.7: the newest that 12.9 runs
        ("2.5.1", "12.8", "cu124", None),  # a 12.4 wheel runs on a driver for 12.8
        ("2.8.0", "12.4", None, "only for CUDA 12.6, 12.8, 12.9"),
        ("2.9.1", "12.5", None, "releases with a wheel for CUDA 12.5: 2.4.x, 2.5.x, 2.6.x"),
        ("2.7.1", "13.0", None, "releases with a wheel for CUDA 13.0: 2.9.x"),
        ("2.3.1", "12.8", None, "PyTorch 2.3 is not in the known torch/CUDA matrix"),
        ("2.10.0", "12.8", None, "add the row with its source to TORCH_CUDA_BUILDS"),
    ],
)
def test_torch_matrix(torch: str, cuda: str, build: str | None, bad: str | None) -> None:
    assert compat.torch_build(torch, cuda) == build
    found = compat.torch_problems(torch, cuda)
    if bad is None:
        assert found == []
    else:
        [message] = found
        assert message.startswith(f"software.training.torch = {torch!r}: ")
        assert bad in message and "fix: " in message


def test_torch_is_checked_for_a_venv_only(plan: Any) -> None:
    software = {"driver": "570.172.08", "cuda": "12.4", "nccl": "2.21.5-1"}
    config = {"admin_cidrs": ["203.0.113.0/24"], "vcn_cidr": "10.0.0.0/16"}
    venv = {**software, "training": {"kind": "venv", "torch": "2.8.0"}}
    [violation] = check_manifest(plan.manifest(), {**config, "software": venv})
    assert (violation.policy, violation.resource, violation.mandatory) == (
        "software-compatible",
        "software",
        True,
    )
    assert "software.training.torch = '2.8.0'" in violation.message
    # kind defaults to venv; a container image brings its own torch
    default_kind = {**software, "training": {"torch": "2.8.0"}}
    assert len(check_manifest(plan.manifest(), {**config, "software": default_kind})) == 1
    image = {"kind": "container", "torch": "2.8.0", "image": "nvcr.io/nvidia/pytorch:24.12-py3"}
    container = {**software, "training": image}
    assert check_manifest(plan.manifest(), {**config, "software": container}) == []


def test_every_torch_row_has_a_source() -> None:
    for version, (builds, source) in compat.TORCH_CUDA_BUILDS.items():
        assert builds and f"row {version}: CUDA {', '.join(builds)}" in source
