"""`gpufleet validate`: fail exactly where `pulumi preview` would, listing every problem.

Three gates, in the order a real preview meets them: the Pulumi CLI's config gate (Pulumi.yaml
declarations: required keys, types; infra/engine_rules), the program's own validation (the typed
model, every problem at once), then everything `gpufleet plan` checks on the declared resources
(the same policy rules, driver/CUDA/NCCL/torch compatibility included).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bootstrap.commands._common import EXIT_FAILED, config_errors, stack_config_option, stack_file


@click.command("validate")
@stack_config_option
@click.option(
    "--project",
    "project_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The Pulumi.yaml to gate against (default: the nearest one above the stack file).",
)
def command(stack_config: Path | None, example: bool, project_file: Path | None) -> None:
    """Validate a stack config; exit 2 with every problem listed if it is not deployable,
    1 if a mandatory policy fails."""
    from bootstrap.commands import _policy
    from infra.engine_rules.stack_file import find_project, gate_stack_file
    from infra.offline.plan import run_plan

    path = stack_file(stack_config, example)
    gated = project_file is not None or find_project(path) is not None
    with config_errors():
        # No Pulumi.yaml anywhere (the packaged example outside a project): nothing to gate
        # against; the program's own validation and the policies still run.
        engine_config = gate_stack_file(path, project_file) if gated else None
        plan = run_plan(path, config_map=engine_config)
    found = _policy.violations(plan)
    for violation in found:
        click.echo(f"policy: {violation}", err=True)
    if _policy.has_mandatory(found):
        sys.exit(EXIT_FAILED)
    config = plan.config
    click.echo(f"{path}: ok ({len(config.pools)} pool(s), {config.total_nodes} nodes)")
    gate = "Pulumi config gate" if gated else "no Pulumi.yaml found: Pulumi config gate skipped"
    click.echo(f"checked: {gate}, config model, program, policies")
