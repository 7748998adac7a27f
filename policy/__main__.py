"""The gpufleet policy pack: `pulumi preview --policy-pack policy`.

Never import this module in tests: the PolicyPack constructor starts the analyzer server and
blocks. The rules themselves live in `policy/rules.py` and are tested there.

Policy config (`--policy-pack-config file.json`), all optional:
    {"gpufleet": {"admin_cidrs": ["203.0.113.0/24"], "vcn_cidr": "10.0.0.0/16",
                  "minBootVolumeGb": 256, "protectPools": true,
                  "software": {"driver": "570.172.08", "cuda": "12.8", "nccl": "2.23.4-1"}}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy import compat
from policy.rules import (
    NSG_RULE,
    POLICIES,
    SOFTWARE_POLICY,
    Options,
    Policy,
    Settings,
    software_compatible,
    ssh_only_to_bastion,
)

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "admin_cidrs": {"type": "array", "items": {"type": "string"}},
        "vcn_cidr": {"type": "string"},
        "minBootVolumeGb": {"type": "integer", "minimum": 50},
        "protectPools": {"type": "boolean"},
        "software": {
            "type": "object",
            "properties": {
                "driver": {"type": "string"},
                "cuda": {"type": "string"},
                "nccl": {"type": "string"},
            },
        },
    }
)


def _settings(config: Mapping[str, Any] | None) -> Settings:
    config = config or {}
    sw = config.get("software") or {}
    software = (
        compat.Software(str(sw["driver"]), str(sw["cuda"]), str(sw["nccl"]))
        if all(sw.get(k) for k in ("driver", "cuda", "nccl"))
        else None
    )
    return Settings(
        admin_cidrs=tuple(config.get("admin_cidrs") or ()),
        vcn_cidr=config.get("vcn_cidr"),
        min_boot_volume_gb=int(config.get("minBootVolumeGb") or 50),
        protect_pools=bool(config.get("protectPools", True)),
        software=software,
    )


def _resource_policy(policy: Policy) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        settings = _settings(args.get_config())
        opts = Options(name=args.name, protect=bool(args.opts.protect))
        for message in policy.check(args.resource_type, args.props, opts, settings):
            report(message, args.urn)

    return ResourceValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=validate,
        config_schema=CONFIG_SCHEMA,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def _ssh_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    # NSG ids are unknown in a first preview; the rule's property dependency names its NSG.
    names: dict[str, str] = {}
    for res in args.resources:
        if res.resource_type == NSG_RULE:
            deps = res.property_dependencies.get("networkSecurityGroupId") or []
            nsg_id = res.props.get("networkSecurityGroupId")
            if deps and isinstance(nsg_id, str):
                names[nsg_id] = deps[0].name
    base = _settings(args.get_config())
    settings = Settings(
        base.admin_cidrs,
        base.vcn_cidr,
        base.min_boot_volume_gb,
        base.protect_pools,
        base.software,
        names,
    )
    for res in args.resources:
        for message in ssh_only_to_bastion(
            res.resource_type, res.props, Options(name=res.name), settings
        ):
            report(message, res.urn)


def _software_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    for message in software_compatible(_settings(args.get_config())):
        report(message, None)


def _stack_policy(
    name: str, description: str, fn: Callable[[StackValidationArgs, ReportViolation], None]
) -> Any:
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=fn,
        config_schema=CONFIG_SCHEMA,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


PolicyPack(
    name="gpufleet",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *(_resource_policy(p) for p in POLICIES if p.name != "ssh-only-to-bastion"),
        _stack_policy("ssh-only-to-bastion", POLICIES[1].description, _ssh_stack),
        _stack_policy(SOFTWARE_POLICY.name, SOFTWARE_POLICY.description, _software_stack),
    ],
)
