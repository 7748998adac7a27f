"""Item 5: every resource with a fixed hostname label can be replaced (it deletes first)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.engine_rules.replacement import unreplaceable
from infra.offline.plan import run_plan
from tests.infra.conftest import STACKS, stack_id


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    return {stack_id(s): run_plan(s).manifest() for s in STACKS}


@pytest.mark.parametrize("stack", [stack_id(s) for s in STACKS])
def test_every_labelled_resource_deletes_before_it_is_replaced(
    manifests: dict[str, dict[str, Any]], stack: str
) -> None:
    resources = manifests[stack]["resources"]
    labelled = [r for r in resources if "hostnameLabel" in str(r["inputs"])]
    assert labelled  # the bastion and the mount target at least
    assert unreplaceable(resources) == []


def test_without_delete_first_the_replacement_is_refused(
    manifests: dict[str, dict[str, Any]],
) -> None:
    resources = [
        {k: v for k, v in r.items() if k != "delete_before_replace"}
        for r in manifests["multi-pool"]["resources"]
    ]
    found = unreplaceable(resources)
    assert "frontier-bastion-vm (hostname label 'bastion')" in found
    assert "frontier-storage-mt (hostname label 'fss')" in found
    assert "frontier-b200-0007 (hostname label 'b200-0007')" in found
    assert len(found) == 2 + 256
