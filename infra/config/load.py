"""Read a stack config from a Pulumi.<stack>.yaml file or from the engine's config map."""

from __future__ import annotations

import contextlib
import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.config import rules
from infra.config.model import StackConfig
from infra.config.problems import NAMESPACE, ConfigError, Problem, key_path, show
from infra.input_file import InputFileError, load_yaml

# Fixes for pydantic's built-in error types (our own checks carry their fix in ctx).
_FIX_BY_TYPE = {
    "missing": "set it in Pulumi.<stack>.yaml (or `pulumi config set gpufleet:<key> ...`)",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "write a quoted string",
    "list_type": "write a YAML list",
    "tuple_type": "write a YAML list",
    "dict_type": "write a YAML mapping",
    "model_type": "write a YAML mapping",
    "model_attributes_type": "write a YAML mapping",
    "literal_error": "use one of the allowed values",
    "greater_than_equal": "raise the number",
    "less_than_equal": "lower the number",
    "too_short": "add at least one entry",
    "string_pattern_mismatch": "rewrite it to match the allowed form",
}


def _field_names(model: type[Any], loc: tuple[str | int, ...]) -> list[str]:
    """The allowed keys at `loc` (for did-you-mean on unknown keys)."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        candidates = [ann, *getattr(ann, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and hasattr(c, "model_fields")]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


def _problem(err: Mapping[str, Any]) -> Problem:
    # pydantic puts union branch names ('constrained-int', ...) into loc; field names and list
    # indexes are all we keep.
    loc = tuple(p for p in err["loc"] if isinstance(p, int) or p.isidentifier())
    ctx = err.get("ctx") or {}
    kind = err["type"]
    value = "(missing)" if kind == "missing" else show(err.get("input"))
    if kind == "extra_forbidden":
        known = _field_names(StackConfig, loc)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(
            key_path(loc), value, "unknown key", f"{hint}known keys here: {', '.join(known)}"
        )
    message = ctx.get("message") or err["msg"]
    fix = ctx.get("fix") or _FIX_BY_TYPE.get(kind, "correct the value")
    if kind == "missing":
        fix = fix.replace("<key>", ".".join(str(p) for p in loc))
    return Problem(key_path(loc), value, message, fix)


def from_mapping(raw: Mapping[str, Any], source: str = "stack config") -> StackConfig:
    """Validate the `gpufleet:` keys (namespace stripped); raise ConfigError with every problem."""
    problems = rules.check(raw)
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as exc:
        problems += [_problem(e) for e in exc.errors(include_url=False)]
        raise ConfigError(_dedupe(problems), source) from None
    if problems:
        raise ConfigError(problems, source)
    return config


def _dedupe(problems: list[Problem]) -> list[Problem]:
    # A union field (int | str) fails once per branch: keep the first problem per key.
    seen: set[str] = set()
    out = []
    for p in problems:
        if p.key in seen and p.value != "(missing)":
            continue
        seen.add(p.key)
        out.append(p)
    return out


def _split_namespaces(config: Mapping[str, Any], decode_json: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for full_key, value in config.items():
        namespace, _, key = str(full_key).partition(":")
        if decode_json and isinstance(value, str):
            with contextlib.suppress(ValueError):  # else a plain string value
                value = json.loads(value)
        if namespace == NAMESPACE:
            raw[key] = value
        elif full_key == "oci:region":
            raw["region"] = value
    return raw


def from_pulumi_config(config: Mapping[str, Any]) -> StackConfig:
    """From the engine's config map ("gpufleet:key" -> JSON-encoded string)."""
    return from_mapping(_split_namespaces(config, decode_json=True), "Pulumi config")


def load_stack_file(path: str | Path) -> StackConfig:
    """From a Pulumi.<stack>.yaml file; every problem, including YAML syntax, is a ConfigError."""
    path = Path(path)
    source = str(path)
    try:
        doc = load_yaml(path, "stack config")
    except InputFileError as exc:
        raise ConfigError(
            [Problem("(file)", show(str(path)), exc.problem, exc.fix)], source
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ConfigError(
            [
                Problem(
                    "(file)",
                    show(str(path)),
                    "has no `config:` mapping",
                    "a stack file looks like `config:\\n  gpufleet:pools: ...`",
                )
            ],
            source,
        )
    secure = [k for k, v in doc["config"].items() if isinstance(v, dict) and "secure" in v]
    if any(k.startswith(NAMESPACE + ":") for k in secure):
        raise ConfigError(
            [
                Problem(
                    k,
                    "[secret]",
                    "encrypted values cannot be read offline",
                    "gpufleet keys hold no secrets; store them in plain text",
                )
                for k in secure
                if k.startswith(NAMESPACE + ":")
            ],
            source,
        )
    return from_mapping(_split_namespaces(doc["config"], decode_json=False), source)


def to_pulumi_config(path: str | Path) -> dict[str, str]:
    """A stack file's config as the engine passes it (objects JSON-encoded), for mock runs."""
    doc = load_yaml(Path(path), "stack config")
    return {
        k: v if isinstance(v, str) else json.dumps(v)
        for k, v in (doc.get("config") or {}).items()
        if not (isinstance(v, dict) and "secure" in v)
    }
