"""The gpufleet policy pack: `pulumi preview --policy-pack policy [--policy-pack-config F]`.

The CLI starts it as `python -u -m pulumi.policy ENGINE policy/` (pulumi's
`pulumi/policy/__main__.py` runs this file); the PolicyPack constructor below then serves
pulumi-policy's analyzer over gRPC on 127.0.0.1 and prints the port on stdout, and blocks.
Never import this module in tests; `tests/policy/test_analyzer.py` starts it the CLI's way.
The rules live in `policy/rules.py`; config is keyed by policy name (`policy/config.py`,
which also writes the config file from a stack config).
"""

from __future__ import annotations

from collections.abc import Callable

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

from policy.config import PROPERTIES, settings
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


def _schema(name: str) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=PROPERTIES[name]) if name in PROPERTIES else None


def _resource_policy(policy: Policy) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        opts = Options(name=args.name, protect=bool(args.opts.protect))
        for message in policy.check(
            args.resource_type, args.props, opts, settings(args.get_config())
        ):
            report(message, args.urn)

    return ResourceValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=validate,
        config_schema=_schema(policy.name),
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
    base = settings(args.get_config())
    with_names = Settings(
        base.admin_cidrs,
        base.vcn_cidr,
        base.min_boot_volume_gb,
        base.protect_pools,
        base.software,
        names,
    )
    for res in args.resources:
        for message in ssh_only_to_bastion(
            res.resource_type, res.props, Options(name=res.name), with_names
        ):
            report(message, res.urn)


def _software_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    for message in software_compatible(settings(args.get_config())):
        report(message, None)


def _stack_policy(
    name: str, description: str, fn: Callable[[StackValidationArgs, ReportViolation], None]
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=fn,
        config_schema=_schema(name),
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
