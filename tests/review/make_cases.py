"""How the hand-built preview cases in cases/ were made (run: python tests/review/make_cases.py).

Each is a PreviewDigest built from the schema in facts/pulumi.md 3.1 (pulumi/pulumi
pkg/display/json.go), with inputs taken from the real offline plan of Pulumi.example.yaml
(cases/plan_example.json), so names, types and inputs match what our program registers.
Real captures, when we have them, go beside them and are never edited.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "cases"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK = "urn:pulumi:dev::gpufleet::pulumi:pulumi:Stack::gpufleet-dev"
PLAN = json.loads((HERE / "plan_example.json").read_text())
BY_NAME = {r["name"]: r for r in PLAN["resources"]}


def urn(name: str) -> str:
    res = BY_NAME.get(name)
    rtype = res["type"] if res else "oci:Core/subnet:Subnet"
    parent = res.get("parent") if res else None
    chain = f"gpufleet:pool:GpuPool${rtype}" if parent and parent.startswith("dev-h") else rtype
    return f"urn:pulumi:dev::gpufleet::{chain}::{name}"


def state(name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    res = BY_NAME[name]
    parent = res.get("parent")
    return {
        "urn": urn(name),
        "custom": True,
        "type": res["type"],
        "inputs": inputs,
        "parent": f"urn:pulumi:dev::gpufleet::gpufleet:pool:GpuPool::{parent}" if parent else STACK,
        "protect": res["protect"],
        **extra,
    }


def step(op: str, name: str, old: dict | None, new: dict | None, **extra: Any) -> dict:
    out: dict[str, Any] = {
        "op": op,
        "urn": urn(name),
        "provider": "urn:pulumi:dev::gpufleet::pulumi:providers:oci::default",
    }
    if old is not None:
        out["oldState"] = state(name, old, id=f"ocid1.x.oc1..{name}")
    if new is not None:
        out["newState"] = state(name, new)
    out.update(extra)
    return out


def doc(steps: list[dict], same: int, **extra: Any) -> dict:
    summary: dict[str, int] = {"same": same}
    for s in steps:
        summary[s["op"]] = summary.get(s["op"], 0) + 1
    return {
        "steps": [
            {
                "op": "same",
                "urn": STACK,
                "oldState": {"urn": STACK, "type": "pulumi:pulumi:Stack"},
                "newState": {"urn": STACK, "type": "pulumi:pulumi:Stack"},
                "detailedDiff": None,
            },
            *steps,
        ],
        "duration": 1234567890,
        "changeSummary": summary,
        **extra,
    }


def inputs(name: str) -> dict[str, Any]:
    return copy.deepcopy(BY_NAME[name]["inputs"])


def cn_with(size: int, **place: Any) -> dict[str, Any]:
    new = inputs("dev-h100-cn")
    new["instancePools"][0]["size"] = size
    new["placementConfiguration"].update(place)
    return new


def main() -> None:
    cn = inputs("dev-h100-cn")
    big = copy.deepcopy(cn)
    big["instancePools"][0]["size"] = 64
    cases: dict[str, dict] = {}
    cases["pool_grows"] = doc(
        [
            step(
                "update",
                "dev-h100-cn",
                cn,
                cn_with(4),
                diffReasons=["instancePools"],
                detailedDiff={"instancePools[0].size": {"kind": "update", "inputDiff": True}},
            )
        ],
        33,
    )
    cases["pool_shrinks"] = doc(
        [
            step(
                "update",
                "dev-h100-cn",
                big,
                cn_with(60),
                diffReasons=["instancePools"],
                detailedDiff={"instancePools[0].size": {"kind": "update", "inputDiff": True}},
            )
        ],
        33,
    )
    moved = cn_with(64, primarySubnetId=UNKNOWN)
    cases["pool_replaced"] = doc(
        [
            step(
                "replace",
                "dev-h100-cn",
                big,
                moved,
                diffReasons=["placementConfiguration"],
                replaceReasons=["placementConfiguration"],
                detailedDiff={
                    "placementConfiguration.primarySubnetId": {
                        "kind": "update-replace",
                        "inputDiff": True,
                    }
                },
            )
        ],
        32,
        diagnostics=[
            {
                "urn": urn("dev-h100-cn"),
                "prefix": "error: ",
                "severity": "error",
                "message": 'unable to replace resource "' + urn("dev-h100-cn") + '"\n'
                "as it is currently marked for protection. To unprotect the "
                "resource, remove the `protect` flag from the resource in "
                "your Pulumi program and run `pulumi up`",
            }
        ],
    )
    ic_old = inputs("dev-h100-ic")
    ic_new = copy.deepcopy(ic_old)
    ic_new["instanceDetails"]["launchDetails"]["sourceDetails"]["imageId"] = (
        "ocid1.image.oc1.iad.aaaaaaaaexamplegpuimageubuntu2404000000000000000000000"
    )
    cn_new_ic = copy.deepcopy(cn)
    cn_new_ic["instancePools"][0]["instanceConfigurationId"] = UNKNOWN
    cases["instance_configuration_changed"] = doc(
        [
            step(
                "replace",
                "dev-h100-ic",
                ic_old,
                ic_new,
                diffReasons=["instanceDetails"],
                replaceReasons=["instanceDetails"],
                detailedDiff={
                    "instanceDetails.launchDetails.sourceDetails.imageId": {
                        "kind": "update-replace",
                        "inputDiff": True,
                    }
                },
            ),
            step(
                "update",
                "dev-h100-cn",
                cn,
                cn_new_ic,
                diffReasons=["instancePools"],
                detailedDiff={
                    "instancePools[0].instanceConfigurationId": {
                        "kind": "update",
                        "inputDiff": True,
                    }
                },
            ),
        ],
        32,
    )
    subnet_old = inputs("dev-nodes-subnet")
    subnet_new = dict(subnet_old, dnsLabel="gpu")
    vcn_old = inputs("dev-vcn")
    vcn_new = dict(vcn_old, dnsLabel="gpufleet2")
    cases["network_replaced"] = doc(
        [
            step(
                "replace",
                "dev-vcn",
                vcn_old,
                vcn_new,
                diffReasons=["dnsLabel"],
                replaceReasons=["dnsLabel"],
                detailedDiff=None,
            ),
            step(
                "replace",
                "dev-nodes-subnet",
                subnet_old,
                dict(subnet_new, vcnId=UNKNOWN),
                diffReasons=["dnsLabel", "vcnId"],
                replaceReasons=["dnsLabel", "vcnId"],
                detailedDiff=None,
            ),
            step(
                "replace",
                "dev-h100-cn",
                cn,
                dict(
                    cn,
                    placementConfiguration=dict(
                        cn["placementConfiguration"], primarySubnetId=UNKNOWN
                    ),
                ),
                diffReasons=["placementConfiguration"],
                replaceReasons=["placementConfiguration"],
                detailedDiff=None,
            ),
        ],
        31,
    )
    cases["nothing_changed"] = doc([], 34)
    bastion_old = inputs("dev-bastion-vm")
    bastion_new = copy.deepcopy(bastion_old)
    bastion_new["metadata"]["user_data"] = "[secret]"
    bastion_new["metadata"]["api_token"] = "plain-text-token-value-1234"
    bastion_new["metadata"]["note"] = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
        "-----END OPENSSH PRIVATE KEY-----"
    )
    bastion_new["metadata"]["ci"] = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    cases["secrets_present"] = doc(
        [
            step(
                "update",
                "dev-bastion-vm",
                bastion_old,
                bastion_new,
                diffReasons=["metadata"],
                detailedDiff={
                    "metadata.user_data": {"kind": "update", "inputDiff": True},
                    "metadata.api_token": {"kind": "add", "inputDiff": True},
                    "metadata.note": {"kind": "add", "inputDiff": True},
                    "metadata.ci": {"kind": "add", "inputDiff": True},
                },
            )
        ],
        33,
    )
    many = []
    for i in range(1500):
        name = f"dev-nodes-rule-{i:04d}"
        many.append(
            {
                "op": "create",
                "urn": f"urn:pulumi:dev::gpufleet::oci:Core/"
                f"networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule::{name}",
                "newState": {
                    "type": "oci:Core/networkSecurityGroupSecurityRule:"
                    "NetworkSecurityGroupSecurityRule",
                    "inputs": {
                        "description": f"generated rule {i}",
                        "direction": "INGRESS",
                        "protocol": "6",
                        "source": f"10.0.{i % 256}.0/24",
                        "networkSecurityGroupId": UNKNOWN,
                    },
                },
            }
        )
    cases["huge_diff_truncated"] = doc(
        [
            *many,
            step(
                "replace",
                "dev-h100-cn",
                big,
                moved,
                replaceReasons=["placementConfiguration"],
                detailedDiff=None,
            ),
        ],
        33,
    )
    for name, body in cases.items():
        (HERE / f"preview_{name}.json").write_text(json.dumps(body, indent=4) + "\n")


if __name__ == "__main__":
    main()
