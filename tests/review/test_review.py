"""`gpufleet review`: the real preview fixture and schema-built cases against golden Markdown.

Regenerate goldens after an intended change: GPUFLEET_UPDATE_GOLDENS=1 pytest tests/review
(then read the diff: the goldens are the spec).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.review.markdown import DEFAULT_LIMIT, GITHUB_COMMENT_LIMIT, render
from bootstrap.review.model import Disruption, ReviewInputError
from bootstrap.review.preview import parse_preview, review_preview

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
REAL = CASES / "preview-random-tls-command-mixed.json"
PLAN = json.loads((CASES / "plan_example.json").read_text())
SCHEMA_CASES = (
    "pool_grows",
    "pool_shrinks",
    "pool_replaced",
    "instance_configuration_changed",
    "network_replaced",
    "nothing_changed",
    "secrets_present",
    "huge_diff_truncated",
)


def _doc(name: str) -> dict:
    return json.loads((CASES / f"preview_{name}.json").read_text())


def _golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.md"
    if os.environ.get("GPUFLEET_UPDATE_GOLDENS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def test_real_fixture_is_verbatim() -> None:
    # .txt sidecar: "sha256 prefix 2f677ded4056e0cf" of the upstream file.
    assert hashlib.sha256(REAL.read_bytes()).hexdigest().startswith("2f677ded4056e0cf")


def test_real_fixture_parses_every_op() -> None:
    parsed = parse_preview(json.loads(REAL.read_text()))
    assert sorted(c.op for c in parsed.changes) == [
        "create",
        "delete",
        "replace",
        "replace",
        "update",
    ]
    assert parsed.unchanged == 7 and parsed.diagnostics == ()
    key = next(c for c in parsed.changes if c.name == "tls-key-0")
    assert key.replace_reasons == ("algorithm", "ecdsaCurve")
    assert dict(key.diff_paths)["algorithm"] == "update"  # computed: detailedDiff is null


def test_real_fixture_golden() -> None:
    _golden("real_random_tls_command_mixed", render(review_preview(json.loads(REAL.read_text()))))


@pytest.mark.parametrize("name", SCHEMA_CASES)
def test_schema_case_golden(name: str) -> None:
    text = render(review_preview(_doc(name), PLAN))
    assert len(text) < GITHUB_COMMENT_LIMIT
    _golden(name, text)


@pytest.mark.parametrize(
    ("name", "disruption", "headline"),
    [
        ("pool_grows", Disruption.NEW_NODES, "Grows GPU pool h100: 2 → 4 nodes (+16 GPUs)"),
        ("pool_shrinks", Disruption.SHRINK, "Shrinks GPU pool h100: 64 → 60 nodes, 32 GPUs"),
        (
            "pool_replaced",
            Disruption.RECREATE,
            "Replaces 1 GPU pool (h100): 64 x BM.GPU.H100.8 = 512 GPUs destroyed and recreated",
        ),
        ("instance_configuration_changed", Disruption.NEW_NODES, "for new nodes only"),
        ("network_replaced", Disruption.RECREATE, "Replaces 1 GPU pool (h100)"),
    ],
)
def test_worst_thing_first(name: str, disruption: Disruption, headline: str) -> None:
    review = review_preview(_doc(name), PLAN)
    assert [i.disruption for i in review.impacts] == [disruption]
    assert headline in render(review).splitlines()[0]


def test_deterministic() -> None:
    doc = _doc("network_replaced")
    shuffled = dict(doc, steps=list(reversed(doc["steps"])))
    assert render(review_preview(doc, PLAN)) == render(review_preview(shuffled, PLAN))


def test_secrets_never_shown() -> None:
    text = render(review_preview(_doc("secrets_present"), PLAN))
    assert "[secret]" in text
    for leaked in ("plain-text-token-value", "BEGIN OPENSSH PRIVATE KEY", "ghp_A1b2"):
        assert leaked not in text


def test_huge_diff_cut_with_note() -> None:
    text = render(review_preview(_doc("huge_diff_truncated"), PLAN))
    assert len(text) <= DEFAULT_LIMIT == 65_000
    assert "Left out to stay under GitHub's 65,536-character comment limit" in text
    assert text.index("Dangerous operations") < text.index("<details>")  # danger kept


def test_small_limit_still_bounded() -> None:
    text = render(review_preview(_doc("huge_diff_truncated"), PLAN), limit=3_000)
    assert len(text) <= 3_000 and "creates not listed" in text


def test_without_plan_shapes_unknown_but_no_crash() -> None:
    review = review_preview(_doc("pool_grows"))
    assert review.impacts[0].gpus_after is None and review.notes


@pytest.mark.parametrize(
    "doc",
    [
        {"steps": [{"op": "update"}]},  # no urn, no states
        {
            "steps": [
                {
                    "op": "create",
                    "urn": "urn:pulumi:s::p::acme:thing:Thing::t",
                    "newState": {"type": "acme:thing:Thing"},
                    "detailedDiff": None,
                }
            ]
        },
        {"changeSummary": {"same": 3}},
        {
            "steps": [
                {
                    "op": "update",
                    "urn": "odd",
                    "oldState": {"inputs": "x"},
                    "newState": {"inputs": None},
                    "detailedDiff": {"a": "not-an-object"},
                }
            ]
        },
    ],
)
def test_missing_fields_and_unknown_types(doc: dict) -> None:
    assert render(review_preview(doc)).startswith("### ")


@pytest.mark.parametrize(
    "doc", [[], {"resources": []}, {"steps": "nope"}, {"steps": [{"urn": "x"}]}, {"steps": [3]}]
)
def test_wrong_shape_raises(doc: object) -> None:
    with pytest.raises(ReviewInputError):
        review_preview(doc)


def test_cli_renders_and_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        cli,
        [
            "review",
            str(CASES / "preview_pool_grows.json"),
            "--plan",
            str(CASES / "plan_example.json"),
        ],
    )
    assert ok.exit_code == 0 and ok.output.startswith("### 🟡 Grows GPU pool h100")
    bad = tmp_path / "preview.json"
    bad.write_text("Previewing update (dev):\n")
    result = runner.invoke(cli, ["review", str(bad)])
    assert result.exit_code == 2 and "not JSON" in result.output
    assert "Traceback" not in result.output
    bad.write_text("[1, 2]")
    result = runner.invoke(cli, ["review", str(bad)])
    assert result.exit_code == 2 and "expected a `pulumi preview --json` object" in result.output
