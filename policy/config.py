"""Policy config keyed by policy name, as Pulumi delivers it.

The engine sends each policy only the entry under its own name: pulumi-policy's analyzer
stores `Configure`'s `policyConfig` map as is and a policy's `get_config()` reads
`policy_pack_config[policy.name]` (pulumi/pulumi-policy sdk/python/lib/pulumi_policy/policy.py,
`Configure` and `_get_policy_config`). An entry keyed by anything else (the pack's name, say)
reaches no policy, so its settings silently do nothing. Each policy therefore declares the
keys it reads, and `python -m policy.config Pulumi.<stack>.yaml` writes the file for
`pulumi preview --policy-pack policy --policy-pack-config FILE` from the stack config:

    {"ssh-only-to-bastion": {"admin_cidrs": ["203.0.113.0/24"], "vcn_cidr": "10.0.0.0/16"},
     "boot-volume-minimum": {"minBootVolumeGb": 50},
     "gpu-pools-protected": {"protectPools": true},
     "software-compatible": {"driver": "570.172.08", "cuda": "12.8", "nccl": "2.26.2-1",
                             "torch": "2.7.1"}}

`torch` is there only for a `training.kind: venv` stack (a container brings its own torch).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from policy import compat
from policy.rules import MIN_BOOT_VOLUME_GB, Settings

_TEXT = {"type": "string"}
# JSON schema properties of each policy that takes config (pulumi_policy.PolicyConfigSchema).
PROPERTIES: dict[str, dict[str, Any]] = {
    "ssh-only-to-bastion": {
        "admin_cidrs": {"type": "array", "items": _TEXT},
        "vcn_cidr": _TEXT,
    },
    "boot-volume-minimum": {"minBootVolumeGb": {"type": "integer", "minimum": 50}},
    "gpu-pools-protected": {"protectPools": {"type": "boolean"}},
    "software-compatible": {"driver": _TEXT, "cuda": _TEXT, "nccl": _TEXT, "torch": _TEXT},
}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def settings(config: Mapping[str, Any] | None) -> Settings:
    """Settings from one policy's config entry; keys it does not carry keep their defaults."""
    config = config or {}
    versions = [config.get(k) for k in ("driver", "cuda", "nccl")]
    return Settings(
        admin_cidrs=tuple(config.get("admin_cidrs") or ()),
        vcn_cidr=config.get("vcn_cidr"),
        min_boot_volume_gb=int(config.get("minBootVolumeGb") or MIN_BOOT_VOLUME_GB),
        protect_pools=bool(config.get("protectPools", True)),
        software=(
            compat.Software(*map(str, versions), torch=_text(config.get("torch")))
            if all(versions)
            else None
        ),
    )


def pack_config(s: Settings) -> dict[str, dict[str, Any]]:
    """The `--policy-pack-config` document for `s`, keyed by policy name."""
    out: dict[str, dict[str, Any]] = {
        "ssh-only-to-bastion": {"admin_cidrs": list(s.admin_cidrs)},
        "boot-volume-minimum": {"minBootVolumeGb": s.min_boot_volume_gb},
        "gpu-pools-protected": {"protectPools": s.protect_pools},
    }
    if s.vcn_cidr:
        out["ssh-only-to-bastion"]["vcn_cidr"] = s.vcn_cidr
    if s.software is not None:
        sw = s.software
        out["software-compatible"] = {"driver": sw.driver, "cuda": sw.cuda, "nccl": sw.nccl}
        if sw.torch is not None:
            out["software-compatible"]["torch"] = sw.torch
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m policy.config Pulumi.<stack>.yaml`: the pack's config as JSON on stdout."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m policy.config Pulumi.<stack>.yaml", file=sys.stderr)
        return 2
    from infra.config.load import load_stack_file
    from infra.config.problems import ConfigError
    from policy.offline import settings_from

    try:
        stack = load_stack_file(args[0])
    except ConfigError as exc:  # names every bad key and its fix
        print(exc.render(), file=sys.stderr)
        return 2
    print(json.dumps(pack_config(settings_from(stack)), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
