"""Stack config values as the Pulumi CLI holds them (sdk/go/common/resource/config/value.go).

A value is text plus two flags: `object` (the text is JSON: a YAML mapping or list in the stack
file) and `secure` (ciphertext). Scalars keep their text: `nodes: 2` in a stack file is the
string "2" to the CLI, which is why a `type: string` declaration accepts any scalar.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.input_file import load_yaml as bounded_load


@dataclass(frozen=True)
class Value:
    text: str
    object: bool = False
    secure: bool = False

    def content(self) -> Any:
        """What the type check sees: the JSON structure of an object, else the text
        (pkg/workspace/config.go validateStackConfigValue)."""
        return json.loads(self.text) if self.object else self.text


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1 (`yes`, `on`, `off` are booleans); the CLI's gopkg.in/yaml.v3 reads
    them as strings. Only true/false stay booleans, as in YAML 1.2."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass


def _is_secure(raw: Any) -> bool:
    # object.go isSecureValue: a mapping whose only key is "secure" with a string value
    return isinstance(raw, dict) and len(raw) == 1 and isinstance(raw.get("secure"), str)


def from_raw(raw: Any) -> Value:
    """A parsed stack-file value as the CLI stores it (object.go unmarshalObject,
    MarshalString)."""
    if _is_secure(raw):
        return Value(raw["secure"], secure=True)
    if isinstance(raw, str):
        return Value(raw)
    if isinstance(raw, bool | int | float):
        return Value(json.dumps(raw))
    return Value(json.dumps(raw, default=str), object=True)


def namespaced(key: str, project: str) -> str:
    """loaders.go stackConfigNamespacedWithProject: a key without a namespace is the project's."""
    return key if ":" in key else f"{project}:{key}"


def load_stack(path: str | Path, project: str) -> dict[str, Value]:
    """The `config:` of a Pulumi.<stack>.yaml (loaders.go LoadProjectStackBytes)."""
    # The bounded loader first: it refuses alias bombs, oversized, binary or deep files
    # (InputFileError, a ValueError) before this YAML 1.2 reading walks anything.
    bounded_load(Path(path), "stack config")
    doc = load_yaml(Path(path).read_text(encoding="utf-8"))
    config = (doc or {}).get("config") or {} if isinstance(doc, dict) else {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: `config:` must be a mapping")
    return {namespaced(str(k), project): from_raw(v) for k, v in config.items()}
