"""Structure check of .github/workflows/pr.yml (PyYAML; actionlint is not installed here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "pr.yml"


@pytest.fixture(scope="module")
def wf() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def test_triggers_on_pull_requests(wf: dict[str, Any]) -> None:
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers and "pull_request_target" not in triggers


def test_jobs_and_steps_are_well_formed(wf: dict[str, Any]) -> None:
    jobs = wf["jobs"]
    assert {"test", "offline-diff", "preview", "comment"} <= set(jobs)
    for name, job in jobs.items():
        assert job.get("runs-on"), name
        for needed in job.get("needs", []):
            assert needed in jobs, (name, needed)
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (name, step)
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]


def test_tests_and_review_commands_run(wf: dict[str, Any]) -> None:
    text = WORKFLOW.read_text()
    assert "pytest" in text and "gpufleet diff --base-ref" in text
    assert "gpufleet review preview.json" in text


def test_one_sticky_comment(wf: dict[str, Any]) -> None:
    marker = wf["env"]["STICKY_MARKER"]
    assert marker.startswith("<!--") and marker.endswith("-->")
    comment = wf["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    script = next(s for s in comment["steps"] if "github-script" in s.get("uses", ""))
    code = script["with"]["script"]
    assert "paginate" in code and "updateComment" in code and "createComment" in code
    assert "deleteComment" in code  # duplicates from earlier runs are removed
    assert code.count("createComment") == 1


def test_secrets_only_in_the_guarded_job(wf: dict[str, Any]) -> None:
    for name, job in wf["jobs"].items():
        uses_secrets = "secrets." in yaml.safe_dump(job)
        assert uses_secrets == (name == "preview"), name
    preview = wf["jobs"]["preview"]
    assert "head.repo.full_name == github.repository" in preview["if"]
    assert all("steps.creds.outputs.configured" in s.get("if", "") for s in preview["steps"][1:])
    assert "secrets." not in yaml.safe_dump({k: v for k, v in wf.items() if k != "jobs"})
