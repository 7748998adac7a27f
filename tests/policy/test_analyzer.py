"""The policy pack through pulumi-policy's real analyzer server, started the way the CLI does.

`pulumi preview --policy-pack policy` runs `python -u -m pulumi.policy ENGINE policy/` in the
pack's folder (pulumi's `pulumi/policy/__main__.py` then runs `policy/__main__.py`); the
PolicyPack serves the Analyzer gRPC service on 127.0.0.1 and prints its port on stdout
(pulumi/pulumi-policy sdk/python/lib/pulumi_policy/policy.py, `PolicyPack.__init__`). Here the
test plays the engine: GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack, with the
stubs the pulumi SDK ships (`pulumi.runtime.proto`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from infra.offline.plan import run_plan
from policy.config import pack_config
from policy.offline import settings_from
from policy.rules import BUCKET, INSTANCE, NSG_RULE

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
POLICIES = {
    "no-public-ip-on-gpu-nodes",
    "ssh-only-to-bastion",
    "rdma-plugins-enabled",
    "gpu-pools-protected",
    "boot-volume-minimum",
    "bucket-not-public",
    "software-compatible",
}


def _read_port(proc: subprocess.Popen[bytes], timeout: float) -> int:
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not line or not line[0].strip().isdigit():
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"the pack printed no port: {line!r}\n{err.decode()[-2000:]}")
    return int(line[0])


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    # The engine address is the CLI's own host server; nothing here calls back to it.
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(POLICY_DIR)],
        cwd=POLICY_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        port = _read_port(proc, timeout=60)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.terminate()  # our own child, by its handle
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(json.loads(json.dumps(value)))
    return out


def _configure(stub: analyzer_pb2_grpc.AnalyzerStub, config: Mapping[str, Any]) -> None:
    stub.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct(props)
                )
                for name, props in config.items()
            }
        )
    )


def _resource(
    rtype: str, name: str, props: Mapping[str, Any], protect: bool = False, deps: Any = None
) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(
        type=rtype,
        name=name,
        urn=f"urn:pulumi:dev::gpufleet::{rtype}::{name}",
        properties=_struct(props),
        options=analyzer_pb2.AnalyzerResourceOptions(protect=protect),
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
            for key, urns in (deps or {}).items()
        },
    )


def _analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub, resources: list[analyzer_pb2.AnalyzerResource]
) -> list[tuple[str, str, str]]:
    """(policy, resource name or '', message) for every diagnostic, as the engine collects them."""
    diags = []
    for r in resources:
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=r.properties, urn=r.urn, name=r.name, options=r.options
        )
        diags += list(stub.Analyze(request).diagnostics)
    diags += list(
        stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)).diagnostics
    )
    return sorted(
        (d.policyName, d.urn.rsplit("::", 1)[-1] if d.urn else "", d.message) for d in diags
    )


def test_analyzer_info(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "gpufleet"
    assert {p.name for p in info.policies} == POLICIES
    assert all(p.enforcementLevel == analyzer_pb2.MANDATORY for p in info.policies)
    schemas = {p.name: dict(p.configSchema.properties) for p in info.policies}
    assert set(schemas["software-compatible"]) == {"driver", "cuda", "nccl", "torch"}
    assert set(schemas["ssh-only-to-bastion"]) == {"admin_cidrs", "vcn_cidr"}


def _plan_resources() -> tuple[list[analyzer_pb2.AnalyzerResource], dict[str, Any]]:
    """The example stack as the program declares it (offline plan), and its pack config."""
    plan = run_plan()
    manifest = plan.manifest()
    urns = {
        r["name"]: f"urn:pulumi:dev::gpufleet::{r['type']}::{r['name']}"
        for r in manifest["resources"]
    }
    resources = []
    for r in manifest["resources"]:
        inputs = r.get("inputs") or {}
        deps = {}
        nsg = str(inputs.get("networkSecurityGroupId", ""))
        if r["type"] == NSG_RULE and nsg.removesuffix("-id") in urns:
            deps["networkSecurityGroupId"] = [urns[nsg.removesuffix("-id")]]
        resources.append(_resource(r["type"], r["name"], inputs, bool(r.get("protect")), deps))
    return resources, pack_config(settings_from(plan.config, manifest))


def test_the_example_stack_passes(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    resources, config = _plan_resources()
    assert len(resources) > 20 and "software-compatible" in config
    _configure(analyzer, config)
    assert _analyze(analyzer, resources) == []


VIOLATING = [
    _resource(INSTANCE, "dev-h100-node", {"shape": "BM.GPU.H100.8",
              "createVnicDetails": {"assignPublicIp": "true"}}),
    _resource(NSG_RULE, "dev-nodes-ssh-anywhere", {"direction": "INGRESS",
              "sourceType": "CIDR_BLOCK", "source": "0.0.0.0/0", "protocol": "6",
              "networkSecurityGroupId": "dev-nodes-nsg",
              "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}}}),
    _resource(BUCKET, "dev-checkpoints", {"accessType": "ObjectRead"}),
]  # fmt: skip
OLD_DRIVER = {"driver": "535.54.03", "cuda": "12.8", "nccl": "2.26.2-1"}


def test_violations_reported(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(
        analyzer,
        {"software-compatible": OLD_DRIVER, "ssh-only-to-bastion": {"vcn_cidr": "10.0.0.0/16"}},
    )
    found = _analyze(analyzer, VIOLATING)
    assert [(p, r) for p, r, _ in found] == [
        ("boot-volume-minimum", "dev-h100-node"),  # no sourceDetails: size unset
        ("bucket-not-public", "dev-checkpoints"),
        ("gpu-pools-protected", "dev-h100-node"),  # protect=False
        ("no-public-ip-on-gpu-nodes", "dev-h100-node"),
        ("rdma-plugins-enabled", "dev-h100-node"),  # no agentConfig
        ("software-compatible", ""),
        ("ssh-only-to-bastion", "dev-nodes-ssh-anywhere"),
    ]
    messages = {p: m for p, _, m in found}
    assert "driver 535.54.03 is older than CUDA 12.8 needs" in messages["software-compatible"]
    assert "0.0.0.0/0" in messages["ssh-only-to-bastion"]


def test_torch_without_a_wheel_for_the_cuda_is_reported(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """torch 2.8 publishes no CUDA 12.4 wheel (policy/compat.py TORCH_CUDA_BUILDS)."""
    versions = {"driver": "570.172.08", "cuda": "12.4", "nccl": "2.21.5-1"}
    _configure(analyzer, {"software-compatible": {**versions, "torch": "2.8.0"}})
    found = _analyze(analyzer, VIOLATING)
    messages = [m for p, _, m in found if p == "software-compatible"]
    assert len(messages) == 1
    assert "software.training.torch = '2.8.0'" in messages[0] and "2.6.x" in messages[0]
    _configure(analyzer, {"software-compatible": {**versions, "torch": "2.6.0"}})
    assert "software-compatible" not in [p for p, _, _ in _analyze(analyzer, VIOLATING)]


def test_config_keyed_by_pack_name_never_arrives(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """The old documented layout: the engine delivers it, but no policy is named 'gpufleet'."""
    _configure(analyzer, {"gpufleet": {"software": OLD_DRIVER}})
    found = [p for p, _, _ in _analyze(analyzer, VIOLATING)]
    assert "software-compatible" not in found and "bucket-not-public" in found
