"""`pulumi config set [--path] [--type T] KEY VALUE` applied to a stack's config map, so the
README's commands can be replayed and then gated (pkg/cmd/pulumi/config/config.go configSetCmd,
sdk/go/common/resource/config/map.go Map.Set, object.go object.Set and coerce).

With --path, a value below the top level is coerced: "true"/"false" become booleans and a
decimal integer without a leading zero becomes a number; everything else stays a string.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from infra.engine_rules.values import Value, namespaced

# config.go keyPattern: keys whose name matches are entropy-checked and refused as "looks like
# a secret" without --secret/--plaintext. gpufleet's keys must never match (a test checks).
SECRET_KEY_PATTERN = re.compile(r"(?i)passwd|pass|password|pwd|secret|token")


class ConfigSetError(ValueError):
    pass


def parse_path(text: str) -> list[str | int]:
    """resource.ParsePropertyPathStrict for the forms config keys use: a.b, a[0], ["a.b"]."""
    out: list[str | int] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "[":
            close = text.find("]", i)
            if close < 0:
                raise ConfigSetError(f"invalid config key path: missing closing bracket in {text}")
            inner = text[i + 1 : close]
            if inner.startswith('"'):
                close = text.find('"]', i + 2)
                if close < 0:
                    raise ConfigSetError(f"invalid config key path: unclosed quote in {text}")
                out.append(text[i + 2 : close])
                i = close + 2
            elif inner.isdigit():
                out.append(int(inner))
                i = close + 1
            else:
                raise ConfigSetError(f"invalid config key path: bad index {inner!r} in {text}")
            if i < n and text[i] == ".":
                i += 1
            continue
        end = min([p for p in (text.find(".", i), text.find("[", i)) if p >= 0] or [n])
        if end == i:
            raise ConfigSetError(f"invalid config key path: empty name in {text}")
        out.append(text[i:end])
        i = end + 1 if end < n and text[end] == "." else end
    return out


def _coerce(text: str, type_name: str) -> Any:
    """object.go coerce (untyped) or the --type conversion."""
    if type_name == "string":
        return text
    if type_name in ("bool", "") and text in ("true", "false"):
        return text == "true"
    if type_name == "bool":
        raise ConfigSetError(f"invalid bool value {text!r}")
    if type_name == "float":
        return float(text)
    if (len(text) > 1 and text[0] == "0") or not re.fullmatch(r"[+-]?\d+", text):
        if type_name == "int":
            raise ConfigSetError(f"invalid int value {text!r}")
        return text
    return int(text)


def _container(accessor: str | int) -> Any:
    """object.go newContainer: an index makes a list long enough to hold it."""
    return [None] * (accessor + 1) if isinstance(accessor, int) else {}


def _set(value: Any, prefix: list[str | int], path: list[str | int], new: Any) -> Any:
    """object.go (*object).Set."""
    if not path:
        return new
    head = path[0]
    if value is None or (not isinstance(value, list | dict) and len(prefix) == 1):
        value = _container(head)
    elif not isinstance(value, list | dict):
        kind = "an array" if isinstance(head, int) else "a map"
        raise ConfigSetError(f"{prefix}: expected {kind}")
    prefix = [*prefix, head]
    if isinstance(value, list):
        if not isinstance(head, int):
            raise ConfigSetError(f"{prefix}: key for an array must be an int")
        if head < 0 or head > len(value):
            raise ConfigSetError(f"{prefix}: array index out of range")
        if head == len(value):
            value.append(None)
        value[head] = _set(value[head], prefix, path[1:], new)
        return value
    if not isinstance(head, str):
        raise ConfigSetError(f"{prefix}: key for a map must be a string")
    value[head] = _set(value.get(head), prefix, path[1:], new)
    return value


def _unmarshal(value: Value) -> Any:
    return json.loads(value.text) if value.object else value.text


def config_set(
    config: dict[str, Value],
    project: str,
    key: str,
    text: str,
    *,
    path: bool = False,
    type_name: str = "",
) -> None:
    """Apply one `pulumi config set` to `config` (in place)."""
    if type_name not in ("", "string", "int", "bool", "float"):
        raise ConfigSetError(
            f'invalid type "{type_name}"; must be one of string, int, bool, or float'
        )
    full = namespaced(key, project)
    namespace, _, name = full.partition(":")
    if not path:
        config[full] = Value(text)
        return
    parts = parse_path(name)
    if not parts or not isinstance(parts[0], str) or not parts[0]:
        raise ConfigSetError("first path segement of config key must be a string")
    root_key = f"{namespace}:{parts[0]}"
    if len(parts) == 1:
        config[root_key] = Value(text)
        return
    new = _coerce(text, type_name)
    root = config.get(root_key)
    current = _unmarshal(root) if root is not None else _container(parts[1])
    updated = _set(current, parts[:1], parts[1:], new)
    if isinstance(updated, list | dict):
        config[root_key] = Value(json.dumps(updated), object=True)
    else:
        config[root_key] = Value(updated if isinstance(updated, str) else json.dumps(updated))


def apply_command(config: dict[str, Value], project: str, argv: list[str]) -> None:
    """`argv` after `pulumi config set`: [--path] [--type T] [--plaintext] KEY VALUE."""
    path, type_name, rest = False, "", []
    args = iter(argv)
    for arg in args:
        if arg == "--path":
            path = True
        elif arg == "--type":
            type_name = next(args, "")
        elif arg.startswith("--type="):
            type_name = arg.split("=", 1)[1]
        elif arg in ("--plaintext", "--"):
            continue
        elif arg.startswith("-"):
            raise ConfigSetError(f"flag {arg} is not modelled here")
        else:
            rest.append(arg)
    if len(rest) != 2:
        raise ConfigSetError(f"expected KEY VALUE, got {rest}")
    config_set(config, project, rest[0], rest[1], path=path, type_name=type_name)


def commands_in(text: str) -> list[list[str]]:
    """Every `pulumi config set ...` line of a shell snippet, split as the shell would (quotes
    kept as one word; a `$(...)` substitution stays literal text)."""
    out = []
    for line in text.splitlines():
        code = line.split(" #", 1)[0].strip()
        if code.startswith("pulumi config set "):
            out.append(shlex.split(code)[3:])
    return out
