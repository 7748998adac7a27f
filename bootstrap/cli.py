"""The `gpufleet` console command.

Sub-commands live one per module in `bootstrap/commands/` and are imported only when invoked,
so `gpufleet --help` never pays for `pulumi`/`pulumi_oci` imports (seconds).

Exit codes shared by every sub-command:
  0 success · 1 a node/check/policy failed · 2 bad input (config, inventory, usage)
"""

from __future__ import annotations

import importlib
import sys

import click

# name -> (module under bootstrap.commands, short help). Keep this table the only registry.
COMMANDS: dict[str, tuple[str, str]] = {
    "diff": ("diff", "Show what a stack-config change does to GPU pools (offline)."),
    "facts": ("facts", "Parse recorded node outputs into typed facts (offline)."),
    "health": ("health", "Check every node, gate it (zero errors), quarantine the failed."),
    "bootstrap": ("bootstrap", "Push each pool's script to its nodes over SSH and run it."),
    "inventory": ("inventory", "Build an inventory from stack outputs; export Ansible/MPI files."),
    "render": ("render", "Render each pool's bootstrap script, cloud-init and nccl.conf."),
    "plan": ("plan", "Validate a stack config and show what it would build (offline)."),
    "quarantine": ("quarantine", "List, add or release quarantined nodes."),
    "review": ("review", "Render `pulumi preview --json` as a GPU-aware PR comment."),
    "run": ("run", "Run an ad-hoc command on every node, with the same runner and results."),
    "slurm": ("slurm", "Render the cluster's Slurm files (slurm.conf, gres, topology, ...)."),
    "topology": ("topology", "Topology-ordered hostfile and Slurm topology.conf from IMDS."),
    "validate": ("validate", "Validate a stack config and list every problem at once."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"bootstrap.commands.{module_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table, so listing commands imports none of them.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gpufleet")
def cli() -> None:
    """gpufleet: LLM-training GPU superclusters on OCI, as code."""


def main() -> None:
    sys.exit(cli.main(prog_name="gpufleet", standalone_mode=True))


if __name__ == "__main__":
    main()
