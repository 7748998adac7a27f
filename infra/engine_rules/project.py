"""Pulumi.yaml as the CLI loads it: schema, shorthand rewrite and config declarations.

Follows sdk/go/common/workspace/loaders.go LoadProjectBytes: ValidateProject (the JSON schema
project.json, the parts that concern `name`, `runtime` and `config`), RewriteShorthandConfigValues,
then Project.Validate (project.go). Errors carry the CLI's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.engine_rules.values import load_yaml

# project.json $defs.simpleConfigType; `object` since CLI v3.186.0 (CHANGELOG #20129), its
# stack-value check since v3.187.0 (CHANGELOG "Allow config values to be parsed with type object").
SIMPLE_TYPES = ("string", "integer", "boolean", "array", "object")
# project.json $defs.configTypeDeclaration: additionalProperties false
DECLARATION_KEYS = ("type", "items", "description", "secret", "default", "value")
# pulumi-language-python main.go parseOptions
TYPECHECKERS = ("mypy", "pyright")

_MISSING = object()


class ProjectError(ValueError):
    """Pulumi.yaml would not load: the CLI stops before any stack is touched."""


@dataclass(frozen=True)
class Items:
    type: str
    items: Items | None = None


@dataclass(frozen=True)
class Declaration:
    """One `config:` entry (project.go ProjectConfigType); `default`/`value` None when absent."""

    key: str
    type: str | None = None
    items: Items | None = None
    description: str = ""
    default: Any = None
    value: Any = None
    secret: bool = False

    def type_name(self) -> str:
        """project.go InferFullTypeName: array<string>, array<object>, ..."""
        return _full_name(self.type or "", self.items)


@dataclass(frozen=True)
class Project:
    name: str
    config: dict[str, Declaration]
    runtime_options: dict[str, Any]


def _full_name(type_name: str, items: Items | None) -> str:
    return f"array<{_full_name(items.type, items.items)}>" if items else type_name


def _items(raw: Any, where: str) -> Items:
    # project.json $defs.configItemsType: `type` required; `array` needs `items`
    if not isinstance(raw, dict) or "type" not in raw:
        raise ProjectError(f"#{where}: missing properties: 'type'")
    if raw["type"] not in SIMPLE_TYPES:
        raise ProjectError(f"#{where}/type: value must be one of {SIMPLE_TYPES}")
    nested = None
    if raw["type"] == "array":
        if "items" not in raw:
            raise ProjectError(f"#{where}: missing properties: 'items'")
        nested = _items(raw["items"], where + "/items")
    return Items(raw["type"], nested)


def _declaration(project: str, key: str, raw: Any) -> Declaration:
    where = f"/config/{key}"
    # RewriteShorthandConfigValues: a bare scalar or list is a default (project namespace) or a
    # value (another namespace)
    if isinstance(raw, str | int | bool | list):
        if _in_project(project, key):
            return Declaration(key, default=raw)
        return Declaration(key, value=raw)
    if not isinstance(raw, dict):
        raise ProjectError(f"#{where}: expected string, integer, boolean, array or object")
    unknown = sorted(set(raw) - set(DECLARATION_KEYS))
    if unknown:
        raise ProjectError(f"#{where}: additionalProperties '{unknown[0]}' not allowed")
    type_name = raw.get("type")
    if type_name is not None and type_name not in SIMPLE_TYPES:
        raise ProjectError(f"#{where}/type: value must be one of {SIMPLE_TYPES}")
    return Declaration(
        key,
        type=type_name,
        items=_items(raw["items"], where + "/items") if "items" in raw else None,
        description=str(raw.get("description", "")),
        default=raw.get("default"),
        value=raw.get("value"),
        secret=bool(raw.get("secret", False)),
    )


def _in_project(project: str, key: str) -> bool:
    """project.go configKeyIsNamespacedByProject."""
    return ":" not in key or key.startswith(project + ":")


def check_value(type_name: str, items: Items | None, value: Any) -> bool:
    """project.go ValidateConfigValue, for values decoded from YAML or JSON."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True
        if isinstance(value, str):  # strconv.Atoi: optional sign, then digits
            body = value[1:] if value[:1] in "+-" else value
            return body.isascii() and body.isdigit()
        return False
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(check_value(items.type, items.items, item) for item in value)


def _validate(project: Project) -> None:
    """project.go (*Project).Validate, in its order."""
    for key, decl in project.config.items():
        if decl.default is not None and decl.value is not None:
            raise ProjectError(
                f"project config '{key}' cannot have both a 'default' and 'value' attribute"
            )
        if _in_project(project.name, key):
            if decl.type == "array" and decl.items is None:
                raise ProjectError(
                    f"The configuration key '{key}' declares an array but does not specify the "
                    "underlying type via the 'items' attribute"
                )
            if (
                decl.type is not None
                and decl.default is not None
                and not check_value(decl.type, decl.items, decl.default)
            ):
                raise ProjectError(
                    f"The default value specified for configuration key '{key}' is not of "
                    f"the expected type '{decl.type_name()}'"
                )
        elif decl.type is not None:
            raise ProjectError(
                f"Configuration key '{key}' is not namespaced by the project and should not "
                "define a type"
            )
        elif decl.default is not None:
            raise ProjectError(
                f"Configuration key '{key}' is not namespaced by the project and should not "
                "define a default value. Did you mean to use the 'value' attribute instead of "
                "'default'?"
            )
        elif decl.value is None:
            raise ProjectError(
                f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"
            )


def parse_project(raw: Any) -> Project:
    """A Pulumi.yaml document, checked as LoadProjectBytes does."""
    if not isinstance(raw, dict):
        raise ProjectError(f"expected project to be an object, was '{type(raw).__name__}'")
    name = raw.get("name", _MISSING)
    if name is _MISSING:
        raise ProjectError("project is missing a 'name' attribute")
    if not isinstance(name, str) or not name:
        raise ProjectError("project is missing a non-empty string 'name' attribute")
    runtime = raw.get("runtime")
    options: dict[str, Any] = {}
    if isinstance(runtime, dict):
        extra = sorted(set(runtime) - {"name", "options"})
        if extra:
            raise ProjectError(f"#/runtime: additionalProperties '{extra[0]}' not allowed")
        options = dict(runtime.get("options") or {})
    config = raw.get("config") or {}
    if not isinstance(config, dict):  # a string is the deprecated stackConfigDir form
        config = {}
    project = Project(
        name,
        {str(k): _declaration(name, str(k), v) for k, v in config.items()},
        options,
    )
    _validate(project)
    checker = options.get("typechecker")
    if checker is not None and checker not in TYPECHECKERS:
        # pulumi-language-python main.go parseOptions: fails every preview
        raise ProjectError(f"unsupported typechecker option: {checker}")
    return project


def load_project(path: str | Path) -> Project:
    """Read and check a Pulumi.yaml (ProjectError names what the CLI would refuse)."""
    return parse_project(load_yaml(Path(path).read_text()))
