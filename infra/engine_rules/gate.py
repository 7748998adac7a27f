"""The config gate every `pulumi preview` / `up` / `destroy` / `refresh` passes before the
program runs: pkg/workspace/config.go mergeConfig with validate=true
(ValidateStackConfigAndApplyProjectConfig).

    merged = merge_config(project, "prod", load_stack(path, project.name))
    engine_config(merged)  # {"gpufleet:pools": "[...]", ...}: what the program receives

1. A declared key in the project's namespace with neither `default` nor `value` that the stack
   does not set is required; all such keys fail together ("is missing configuration value(s)").
2. Absent keys with a `default` (or `value`) are filled in; the program receives them.
3. Every typed declaration is checked against the (filled-in) stack value: secret keys must be
   encrypted, and the value must fit the declared type (validateStackConfigValue). The CLI stops
   at the first such error (keys in sorted order); `errors` keeps them all, the first one first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.engine_rules.project import Project, check_value
from infra.engine_rules.values import Value


@dataclass(frozen=True)
class Refusal:
    key: str  # the key as Pulumi.yaml declares it
    kind: str  # "missing" | "type" | "secret"
    cli_message: str  # what the CLI prints, word for word
    expected: str = ""  # the declared type name, for "type"


class GateError(ValueError):
    """The CLI would refuse this stack's config; `errors` are its messages (distinct, in order)."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        self.errors = list(dict.fromkeys(r.cli_message for r in refusals))
        super().__init__("\n".join(self.errors))


def missing_keys_message(stack: str, keys: list[str]) -> str:
    """config.go missingStackConfigurationKeysError + formatMissingKeys, word for word:
    'a', 'b' and 'c' (sorted, no comma before the last key)."""
    keys = sorted(keys)
    if len(keys) == 1:
        return f"Stack '{stack}' is missing configuration value '{keys[0]}'"
    body = ", ".join(f"'{k}'" for k in keys[:-1]) + f" and '{keys[-1]}'"
    return f"Stack '{stack}' is missing configuration values {body}"


def _full_key(project: str, key: str) -> str:
    """config.go parseConfigKey: an un-namespaced declaration belongs to the project."""
    return key if ":" in key else f"{project}:{key}"


def _default_value(raw: Any) -> Value:
    """config.go createConfigValue: string/int/bool as text (Go's %v), anything else as JSON."""
    if isinstance(raw, bool):
        return Value("true" if raw else "false")
    if isinstance(raw, str | int):
        return Value(str(raw))
    return Value(json.dumps(raw), object=True)


def merge_config(project: Project, stack_name: str, stack: dict[str, Value]) -> dict[str, Value]:
    """The stack config with project defaults applied; GateError where the CLI would stop."""
    merged = dict(stack)
    missing: list[str] = []
    for key in sorted(project.config):
        decl = project.config[key]
        full = _full_key(project.name, key)
        if full in merged:
            continue
        has_default, has_value = decl.default is not None, decl.value is not None
        if not has_default and not has_value and full.split(":", 1)[0] == project.name:
            missing.append(key)
        elif has_default or has_value:
            merged[full] = _default_value(decl.default if has_default else decl.value)
    if missing:
        message = missing_keys_message(stack_name, missing)
        raise GateError([Refusal(k, "missing", message) for k in missing])
    errors = []
    for key in sorted(project.config):
        decl = project.config[key]
        value = merged.get(_full_key(project.name, key))
        if decl.type is None or value is None:
            continue
        if decl.secret and not value.secure:
            message = (
                f"Stack '{stack_name}' with configuration key '{key}' must be encrypted as "
                "it's secret"
            )
            errors.append(Refusal(key, "secret", message))
            continue
        if value.secure:
            continue  # ciphertext: the CLI decrypts it first; nothing to check offline
        if not check_value(decl.type, decl.items, value.content()):
            message = (
                f"Stack '{stack_name}' with configuration key '{key}' must be of type "
                f"'{decl.type_name()}'"
            )
            errors.append(Refusal(key, "type", message, decl.type_name()))
    if errors:
        raise GateError(errors)
    return merged


def engine_config(merged: dict[str, Value]) -> dict[str, str]:
    """Key -> text, as the language host hands config to the program (objects as JSON)."""
    return {k: v.text for k, v in merged.items() if not v.secure}
