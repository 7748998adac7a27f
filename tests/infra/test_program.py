"""The Pulumi program under the engine path: validation before any registration."""

from __future__ import annotations

import json

import pytest

from infra import lookups
from infra.offline.plan import _run_program


def test_invalid_config_fails_before_registering_anything() -> None:
    import pulumi

    bad = {"gpufleet:compartment_id": "nope", "gpufleet:pools": json.dumps([])}
    with pytest.raises(pulumi.RunError) as info:
        _run_program(bad, "bad")
    text = str(info.value)
    assert "nothing was deployed" in text
    assert "gpufleet:compartment_id = 'nope'" in text
    assert "gpufleet:pools = []: no GPU pools declared" in text


def test_invalid_config_registers_no_resource() -> None:
    import pulumi

    from infra.offline import plan as plan_module

    seen: list[object] = []
    original = plan_module.RecordingMocks.new_resource

    def spy(self: object, args: object) -> object:
        seen.append(args)
        return original(self, args)  # type: ignore[arg-type]

    plan_module.RecordingMocks.new_resource = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(pulumi.RunError):
            _run_program({"gpufleet:pools": "[]"}, "bad")
    finally:
        plan_module.RecordingMocks.new_resource = original  # type: ignore[method-assign]
    assert [a for a in seen if getattr(a, "typ", "") != "pulumi:pulumi:Stack"] == []


def test_node_addresses_join_three_lookups() -> None:
    nodes = lookups.join_node_addresses(
        instances=[
            {"id": "i2", "display_name": "h100-2"},
            {"id": "i1", "display_name": "h100-1"},
            {"id": "i3", "display_name": None},
        ],
        attachments=[
            {"instance_id": "i1", "vnic_id": "v1", "state": "ATTACHED"},
            {"instance_id": "i2", "vnic_id": "v2", "state": "ATTACHED"},
            {"instance_id": "i2", "vnic_id": "old", "state": "DETACHED"},
        ],
        private_ips=[
            {"vnic_id": "v1", "ip_address": "10.0.128.5", "is_primary": True},
            {"vnic_id": "v2", "ip_address": "10.0.128.6", "is_primary": True},
            {"vnic_id": "v2", "ip_address": "10.0.128.99", "is_primary": False},
        ],
    )
    assert nodes == [
        {"name": "h100-1", "id": "i1", "private_ip": "10.0.128.5"},
        {"name": "h100-2", "id": "i2", "private_ip": "10.0.128.6"},
        {"name": "i3", "id": "i3", "private_ip": ""},
    ]


def test_after_up_the_stack_lists_every_node_with_its_address() -> None:
    """`up` mode (preview=False): the three lookups per pool run and are joined."""
    from typing import Any

    from infra.config.load import to_pulumi_config
    from infra.offline.recorder import INVOKES, RecordingMocks
    from tests.infra.conftest import EXAMPLE

    class UpMocks(RecordingMocks):
        def call(self, args: Any) -> Any:
            answers = {
                "oci:Core/getClusterNetworkInstances:getClusterNetworkInstances": {
                    "instances": [
                        {"id": "ocid1.instance.oc1..b", "displayName": "dev-h100-2"},
                        {"id": "ocid1.instance.oc1..a", "displayName": "dev-h100-1"},
                    ]
                },
                "oci:Core/getVnicAttachments:getVnicAttachments": {
                    "vnicAttachments": [
                        {
                            "instanceId": "ocid1.instance.oc1..a",
                            "vnicId": "v-a",
                            "state": "ATTACHED",
                        },
                        {
                            "instanceId": "ocid1.instance.oc1..b",
                            "vnicId": "v-b",
                            "state": "ATTACHED",
                        },
                    ]
                },
                "oci:Core/getPrivateIps:getPrivateIps": {
                    "privateIps": [
                        {"vnicId": "v-a", "ipAddress": "10.0.128.10", "isPrimary": True},
                        {"vnicId": "v-b", "ipAddress": "10.0.128.11", "isPrimary": True},
                    ]
                },
            }
            if args.token in answers:
                return answers[args.token], []
            assert args.token in INVOKES, args.token
            return super().call(args)

    _, outputs = _run_program(to_pulumi_config(EXAMPLE), "up", preview=False, mocks=UpMocks())
    assert outputs["pools"]["h100"]["nodes"] == [
        {"name": "dev-h100-1", "id": "ocid1.instance.oc1..a", "private_ip": "10.0.128.10"},
        {"name": "dev-h100-2", "id": "ocid1.instance.oc1..b", "private_ip": "10.0.128.11"},
    ]


def test_after_up_compute_cluster_nodes_are_named_as_replace_nodes_keys_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Compute-cluster nodes export their node name ("h100-0002": hostname and the key of
    `replace_nodes`), not the stack-prefixed display name, so `gpufleet quarantine replace`
    keys them right."""
    from typing import Any

    import yaml

    from infra.config.load import to_pulumi_config
    from infra.offline.recorder import RecordingMocks
    from tests.infra.conftest import EXAMPLE

    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["config"]["gpufleet:pools"][0]["mode"] = "compute_cluster"

    class Mocks(RecordingMocks):
        def new_resource(self, args: Any) -> Any:
            rid, state = super().new_resource(args)
            if args.typ == "oci:Core/instance:Instance":
                state = {**state, "privateIp": f"10.0.128.{args.name[-1]}"}
            return rid, state

    stack = tmp_path / "Pulumi.cc.yaml"
    stack.write_text(yaml.safe_dump(doc))
    config = to_pulumi_config(stack)
    _, outputs = _run_program(config, "up", preview=False, mocks=Mocks())
    nodes = outputs["pools"]["h100"]["nodes"]
    assert [(n["name"], n["private_ip"]) for n in nodes] == [
        ("h100-0001", "10.0.128.1"), ("h100-0002", "10.0.128.2")
    ]  # fmt: skip
    assert all(n["id"] for n in nodes)


def test_after_up_gb200_nodes_come_from_their_memory_clusters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """GB200 pools launch nodes through GPU memory clusters: after `up` each cluster lists its
    instances (getComputeGpuMemoryClusterInstances), joined to addresses like cluster networks,
    so GB200 nodes reach the inventory, bootstrap and the health gate too."""
    from typing import Any

    import yaml

    from infra.config.load import to_pulumi_config
    from infra.offline.recorder import INVOKES, RecordingMocks
    from tests.infra.conftest import EXAMPLE
    from tests.render.configs import FABRIC

    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["config"]["gpufleet:pools"] = [{
        **doc["config"]["gpufleet:pools"][0], "name": "gb200", "shape": "BM.GPU.GB200.4",
        "os": "ubuntu-22.04", "mode": "compute_cluster", "gpu_memory_fabric_ids": [FABRIC],
    }]  # fmt: skip
    stack = tmp_path / "Pulumi.gb.yaml"
    stack.write_text(yaml.safe_dump(doc))

    members = "oci:Core/getComputeGpuMemoryClusterInstances:getComputeGpuMemoryClusterInstances"

    class Mocks(RecordingMocks):
        def call(self, args: Any) -> Any:
            answers = {
                members: {
                    "computeGpuMemoryClusterInstanceCollections": [{"items": [
                        {"id": "ocid1.instance.oc1..g2", "displayName": "gb200-2"},
                        {"id": "ocid1.instance.oc1..g1", "displayName": "gb200-1"},
                    ]}]
                },
                "oci:Core/getVnicAttachments:getVnicAttachments": {"vnicAttachments": [
                    {"instanceId": "ocid1.instance.oc1..g1", "vnicId": "v1", "state": "ATTACHED"},
                    {"instanceId": "ocid1.instance.oc1..g2", "vnicId": "v2", "state": "ATTACHED"},
                ]},
                "oci:Core/getPrivateIps:getPrivateIps": {"privateIps": [
                    {"vnicId": "v1", "ipAddress": "10.0.128.21", "isPrimary": True},
                    {"vnicId": "v2", "ipAddress": "10.0.128.22", "isPrimary": True},
                ]},
            }  # fmt: skip
            if args.token in answers:
                return answers[args.token], []
            assert args.token in INVOKES, args.token
            return super().call(args)

    _, outputs = _run_program(to_pulumi_config(stack), "up", preview=False, mocks=Mocks())
    assert outputs["pools"]["gb200"]["nodes"] == [
        {"name": "gb200-1", "id": "ocid1.instance.oc1..g1", "private_ip": "10.0.128.21"},
        {"name": "gb200-2", "id": "ocid1.instance.oc1..g2", "private_ip": "10.0.128.22"},
    ]
