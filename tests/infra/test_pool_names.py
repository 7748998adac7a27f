"""Pool names that an export would break are refused by validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, load_stack_file
from tests.infra.conftest import EXAMPLE


@pytest.mark.parametrize("name", ["all", "ungrouped"])
def test_a_pool_named_like_an_ansible_implicit_group_is_refused(tmp_path: Path, name: str) -> None:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["config"]["gpufleet:pools"][0]["name"] = name
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as info:
        load_stack_file(path)
    [problem] = info.value.problems
    assert (problem.key, problem.value) == ("gpufleet:pools[0].name", repr(name))
    assert "Ansible" in problem.message and problem.fix
