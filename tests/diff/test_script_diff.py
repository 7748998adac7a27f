"""The offline diff shows what will run on the nodes: each pool's bootstrap script diff."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.review.scripts import script_diff_markdown
from infra.offline.plan import EXAMPLE_STACK


def test_changed_version_shows_the_changed_script_lines(tmp_path: Path) -> None:
    doc = yaml.safe_load(EXAMPLE_STACK.read_text())
    doc["config"]["gpufleet:software"]["nccl_tests"] = "v2.17.3"
    head = tmp_path / "Pulumi.head.yaml"
    head.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(cli, ["diff", "--base", str(EXAMPLE_STACK), "--head", str(head)])
    assert result.exit_code == 0, result.output
    section = result.output.split("### Node bootstrap scripts", 1)[1]
    assert "pool <code>h100</code>: bootstrap.sh +3 -3" in section
    assert "-readonly GF_NT_TAG=v2.17.2\n+readonly GF_NT_TAG=v2.17.3" in section


def test_unchanged_scripts_say_so() -> None:
    result = CliRunner().invoke(cli, ["diff", "--base", str(EXAMPLE_STACK)])
    assert "No change to what runs on the nodes." in result.output


def test_new_pool_and_unsupported_shape_and_bound() -> None:
    md = script_diff_markdown({}, {"a": "echo hi\n", "amd": None})
    assert "+++ head/a/bootstrap.sh" in md and "--- /dev/null" in md
    assert "pool `amd`: its shape has no bootstrap script yet" in md
    big = script_diff_markdown({"a": ""}, {"a": "x\n" * 5000}, budget=3000)
    assert len(big) <= 3000 and "cut" in big


def test_power_section_shows_kw_before_after_and_budget() -> None:
    from bootstrap.review.power import power_markdown

    base = {"pools": [{"name": "h100", "kw": 20.4}], "total_kw": 20.4}
    head = {
        "pools": [{"name": "h100", "kw": 40.8}, {"name": "l40s", "kw": None}],
        "total_kw": None,
        "power_budget_kw": 50.0,
    }
    md = power_markdown(base, head)
    assert "| `h100` | 20.4 | 40.8 |" in md and "| `l40s` | n/a | n/a |" in md
    assert "Budget 50.0 kW: the total is unknown" in md
    head["total_kw"] = 40.8
    assert "Budget: 40.8 kW of 50.0 kW (82%)." in power_markdown(base, head)
