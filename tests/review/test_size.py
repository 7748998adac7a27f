"""`gpufleet review` stays under GitHub's comment limit by itself: least important detail
first, every element it opens closed, a note naming what was left out; several stacks share
one budget; `-` reads the preview from standard input."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.review.markdown import LADDER, render, render_stacks
from bootstrap.review.model import (
    CLUSTER_NETWORK,
    INSTANCE,
    Disruption,
    PoolImpact,
    ResourceChange,
    Review,
)
from bootstrap.review.preview import review_preview

CASES = Path(__file__).resolve().parent / "cases"
PLAN = json.loads((CASES / "plan_example.json").read_text())


class _Tags(HTMLParser):
    """Checks that every HTML element the comment opens is closed, in order."""

    VOID = frozenset({"br", "hr", "img"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_balanced(text: str) -> None:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    assert parser.errors == [] and parser.stack == [], (parser.errors, parser.stack)
    assert len(re.findall(r"<details[ >]", text)) == text.count("</details>")


def _pool(name: str, nodes: int, after: int) -> PoolImpact:
    disruption = Disruption.NONE if nodes == after else Disruption.NEW_NODES
    gpus = (nodes * 8, after * 8)
    return PoolImpact(name, "BM.GPU.H100.8", "BM.GPU.H100.8", nodes, after, *gpus,
                      None, None, None, None, disruption)  # fmt: skip


def _update(i: int) -> ResourceChange:
    old = {f"prop{k}": f"old-value-{i}-{k}" for k in range(12)}
    new = {f"prop{k}": f"new-value-{i}-{k}" for k in range(12)}
    return ResourceChange("update", INSTANCE, f"node-{i:04d}", old_inputs=old, new_inputs=new,
                          diff_paths=tuple((f"prop{k}", "update") for k in range(12)))  # fmt: skip


def _big_review() -> Review:
    """Unchanged pools, updates with property tables, creates and one dangerous replace."""
    replace = ResourceChange("replace", CLUSTER_NETWORK, "h100-cn", old_inputs={"size": 2},
                             new_inputs={"size": 4}, diff_paths=(("size", "update"),),
                             replace_reasons=("size",))  # fmt: skip
    creates = tuple(
        ResourceChange("create", INSTANCE, f"new-{i:04d}", new_inputs={"shape": "BM.GPU.H100.8"})
        for i in range(60)
    )
    impacts = (_pool("grow", 2, 4), *(_pool(f"idle-{i:03d}", 16, 16) for i in range(150)))
    return Review("pulumi preview", (replace, *(_update(i) for i in range(30)), *creates),
                  7, impacts)  # fmt: skip


_KINDS = ("unchanged pool", "update", "routine create", "routine change", "dangerous operation")


def _dropped(text: str) -> list[str]:
    note = text[text.find("Left out to stay under") :] if "Left out" in text else ""
    first_part = note.split(" not listed")[0]
    return [k for k in _KINDS if k in first_part]


def test_ladder_leaves_out_least_important_first() -> None:
    review = _big_review()
    seen: list[list[str]] = []
    for limit in range(65_000, 1_999, -3_000):
        text = render(review, limit=limit)
        assert len(text) <= limit
        assert_balanced(text)
        assert "h100-cn" in text  # the dangerous operation is never left out
        seen.append(_dropped(text))
    assert seen[0] == []  # 65,000 holds everything
    assert all(s[0] == "unchanged pool" for s in seen if s)
    # A smaller limit never goes back to a milder level of the ladder.
    levels = [max((_KINDS.index(k) for k in s), default=-1) for s in seen]
    assert levels == sorted(levels) and 0 in levels and 1 in levels and levels[-1] >= 3
    assert ["unchanged pool", "update"] in [s[:2] for s in seen]
    assert len(LADDER) == 6


def test_updates_lose_their_tables_before_their_titles() -> None:
    review = _big_review()
    text = next(
        t for t in (render(review, limit=n) for n in range(65_000, 1_999, -1_000))
        if _dropped(t)[:2] == ["unchanged pool", "update"]
    )  # fmt: skip
    assert "old-value-" not in text and "node-0029" in text
    assert "150 unchanged pools not listed" in text


@pytest.mark.parametrize("limit", [2_000, 4_000, 9_999, 30_000, 65_000, 65_536])
def test_real_shaped_huge_preview_is_bounded_and_closed(limit: int) -> None:
    text = render(review_preview(json.loads((CASES / "preview_huge_diff_truncated.json")
                                            .read_text()), PLAN), limit=limit)  # fmt: skip
    assert len(text) <= min(limit, 65_000 if limit == 65_000 else limit)
    assert_balanced(text)
    assert "Left out to stay under GitHub's 65,536-character comment limit" in text


def _stacks() -> list[tuple[str, Review]]:
    def doc(name: str) -> Review:
        return review_preview(json.loads((CASES / f"preview_{name}.json").read_text()), PLAN)

    return [("prod", doc("huge_diff_truncated")), ("staging", doc("network_replaced")),
            ("dev", doc("pool_grows")), ("big", _big_review())]  # fmt: skip


def test_multi_stack_big_preview_shares_one_budget() -> None:
    text = render_stacks(_stacks(), limit=65_000)
    assert len(text) <= 65_000
    assert_balanced(text)
    headings = re.findall(r"^## Stack <code>(\w+)</code>", text, re.M)
    assert headings == ["prod", "staging", "dev", "big"]
    for headline in ("Replaces 1 GPU pool (h100)", "Grows GPU pool h100", "h100-cn"):
        assert headline in text
    assert text.count("Dangerous operations") == 3  # prod, staging and big each have one
    assert text.rstrip().endswith("Run the same `gpufleet` command locally for everything.")


def test_cli_reads_stdin_and_names_stacks(tmp_path: Path) -> None:
    runner = CliRunner()
    grows = (CASES / "preview_pool_grows.json").read_text()
    one = runner.invoke(cli, ["review", "-", "--plan", str(CASES / "plan_example.json")],
                        input=grows)  # fmt: skip
    assert one.exit_code == 0 and one.output.startswith("### 🟡 Grows GPU pool h100"), one.output
    many = runner.invoke(
        cli,
        ["review", "dev=-", f"prod={CASES / 'preview_huge_diff_truncated.json'}",
         "--plan", f"prod={CASES / 'plan_example.json'}"],
        input=grows,
    )  # fmt: skip
    assert many.exit_code == 0, many.output
    assert len(many.output) <= 65_000 and "## Stack <code>prod</code>" in many.output
    assert_balanced(many.output)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["-"], "", "standard input: the preview is not JSON"),
        (["a=-", "b=-"], "{}", "can be given once only"),
        (["a=-", f"b={CASES / 'preview_pool_grows.json'}", "--plan", "x.json"], "{}",
         "name its stack"),
        (["a=-", "--plan", "zz=x.json"], "{}", "no preview is named 'zz'"),
    ],
)  # fmt: skip
def test_cli_bad_input_exits_2(args: list[str], stdin: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["review", *args], input=stdin)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
