"""The gate against the cases pulumi/pulumi tests its own config gate with
(pkg/workspace/config_project_test.go, sdk/go/common/workspace/project_test.go): same project
and stack texts, same outcome and message. If these pass, the module follows the CLI."""

from __future__ import annotations

import pytest

from infra.engine_rules.gate import GateError, engine_config, merge_config
from infra.engine_rules.project import ProjectError, parse_project
from infra.engine_rules.values import from_raw, load_yaml


def _gate(project_yaml: str, stack_yaml: str) -> dict[str, str]:
    project = parse_project(load_yaml(project_yaml))
    raw = (load_yaml(stack_yaml) or {}).get("config") or {}
    stack = {(k if ":" in k else f"{project.name}:{k}"): from_raw(v) for k, v in raw.items()}
    return engine_config(merge_config(project, "dev", stack))


def test_stack_inherits_project_defaults() -> None:
    # TestStackConfigIsInheritedFromProjectConfig
    merged = _gate(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize: t3.micro\n"
        "  instanceCount: 20\n  protect: true\n",
        "config:\n  test:instanceSize: t4.large\n",
    )
    assert merged == {
        "test:instanceSize": "t4.large",
        "test:instanceCount": "20",
        "test:protect": "true",
    }


def test_object_default_reaches_the_program_as_json() -> None:
    merged = _gate("name: test\nconfig:\n  test:tags:\n    type: object\n    default: {}\n", "")
    assert merged == {"test:tags": "{}"}


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        # TestStackConfigErrorsWhenMissingStackValueForConfigTypeWithNoDefault
        ("  values:\n    type: array\n    items:\n      type: string\n",
         "Stack 'dev' is missing configuration value 'values'"),
        # ...MissingTwoStackValue...
        ("  another:\n    type: string\n  values:\n    type: array\n    items:\n"
         "      type: string\n",
         "Stack 'dev' is missing configuration values 'another' and 'values'"),
        # ...MissingMultipleStackValue...
        ("  hello:\n    type: integer\n  values:\n    type: array\n    items:\n"
         "      type: string\n  world:\n    type: string\n",
         "Stack 'dev' is missing configuration values 'hello', 'values' and 'world'"),
    ],
)  # fmt: skip
def test_declared_keys_without_default_are_required(declared: str, message: str) -> None:
    with pytest.raises(GateError) as err:
        _gate("name: test\nruntime: dotnet\nconfig:\n" + declared, "")
    assert err.value.errors == [message]


def test_integer_type_is_checked() -> None:
    # TestStackConfigIntegerTypeIsCorrectlyValidated
    project = "name: test\nruntime: dotnet\nconfig:\n  importantNumber:\n    type: integer\n"
    assert _gate(project, "config:\n  test:importantNumber: 20\n") == {"test:importantNumber": "20"}
    with pytest.raises(GateError) as err:
        _gate(project, "config:\n  test:importantNumber: hello\n")
    assert err.value.errors == [
        "Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'"
    ]


def test_scalar_for_an_array_is_refused() -> None:
    # TestStackConfigErrorsWhenStackValueIsNotCorrectlyTyped
    with pytest.raises(GateError) as err:
        _gate(
            "name: test\nruntime: dotnet\nconfig:\n  values:\n    type: array\n    items:\n"
            "      type: string\n    default: [value]\n",
            "config:\n  test:values: someValue\n",
        )
    assert err.value.errors == [
        "Stack 'dev' with configuration key 'values' must be of type 'array<string>'"
    ]


def test_untyped_declarations_are_not_checked() -> None:
    # TestUntypedProjectConfigValuesAreNotValidated
    merged = _gate(
        "name: test\nconfig:\n  instanceSize: t3.micro\n", "config:\n  test:instanceSize: 42\n"
    )
    assert merged == {"test:instanceSize": "42"}


def test_secret_declaration_needs_an_encrypted_value() -> None:
    project = "name: test\nconfig:\n  test:token:\n    type: string\n    secret: true\n"
    with pytest.raises(GateError, match="must be encrypted as it's secret"):
        _gate(project, "config:\n  test:token: plain\n")
    assert _gate(project, "config:\n  test:token:\n    secure: v1:abc\n") == {}


def test_object_type_accepts_mappings_only() -> None:
    project = "name: test\nconfig:\n  test:bastion:\n    type: object\n"
    assert _gate(project, "config:\n  test:bastion:\n    shape: x\n")
    with pytest.raises(GateError, match="must be of type 'object'"):
        _gate(project, "config:\n  test:bastion: [1]\n")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("  values:\n    type: array\n",
         "declares an array but does not specify the underlying type via the 'items'"),
        ("  count:\n    type: integer\n    default: many\n",
         "The default value specified for configuration key 'count' is not of the expected "
         "type 'integer'"),
        ("  aws:region:\n    type: string\n    value: x\n",
         "Configuration key 'aws:region' is not namespaced by the project and should not "
         "define a type"),
        ("  aws:region:\n    description: no value\n",
         "Configuration key 'aws:region' is namespaced and must provide an attribute 'value'"),
        ("  size:\n    default: 1\n    value: 2\n",
         "project config 'size' cannot have both a 'default' and 'value' attribute"),
        ("  size:\n    type: number\n", "value must be one of"),
        ("  size:\n    typ: string\n", "additionalProperties 'typ' not allowed"),
    ],
)  # fmt: skip
def test_project_file_rules(config: str, message: str) -> None:
    # project.go (*Project).Validate and the project.json schema
    with pytest.raises(ProjectError, match=message.replace("(", r"\(").replace("'", "'")):
        parse_project(load_yaml("name: test\nconfig:\n" + config))


def test_unknown_typechecker_fails_every_preview() -> None:
    with pytest.raises(ProjectError, match="unsupported typechecker option: ruff"):
        parse_project(
            load_yaml("name: t\nruntime:\n  name: python\n  options:\n    typechecker: ruff\n")
        )


def test_yaml_1_1_booleans_stay_strings_as_in_the_cli() -> None:
    # gopkg.in/yaml.v3 reads `on`/`yes` as strings; only true/false are booleans
    assert load_yaml("a: on\nb: yes\nc: true\nd: 12.8\n") == {
        "a": "on", "b": "yes", "c": True, "d": 12.8,
    }  # fmt: skip
