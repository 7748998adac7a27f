"""Typed stack config: read once, validated once, every problem reported at once.

    load_stack_file(path) -> StackConfig      (a Pulumi.<stack>.yaml file)
    from_pulumi_config(mapping) -> StackConfig (the `gpufleet:` keys as the engine passes them)

Both raise ConfigError, whose `problems` each name the key path, the bad value, what is
allowed and how to fix it.
"""

from infra.config.load import from_mapping, from_pulumi_config, load_stack_file
from infra.config.model import Pool, StackConfig
from infra.config.problems import ConfigError, Problem

__all__ = [
    "ConfigError",
    "Pool",
    "Problem",
    "StackConfig",
    "from_mapping",
    "from_pulumi_config",
    "load_stack_file",
]
