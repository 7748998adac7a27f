""".github/workflows/pr.yml: checked by actionlint (with shellcheck on every `run:` block), kept
the same as .ci/run, and read for the review path's promises (venv, policy pack, exit codes,
one sticky comment, secrets only where they are guarded)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "pr.yml"
CI_RUN = ROOT / ".ci" / "run"


def _tool(name: str) -> str:
    """A console script installed with the test extra (next to this interpreter first)."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} not found: pip install -e '.[test]'"
    return found


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("actionlint"), "-no-color", "-shellcheck", _tool("shellcheck"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def wf() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_actionlint_passes() -> None:
    result = _actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_what_it_should(tmp_path: Path) -> None:
    # The same checker on a broken copy: a swallowed, unquoted script and an unknown input.
    broken = WORKFLOW.read_text().replace("bash .ci/run", "echo $UNQUOTED || true", 1)
    broken = broken.replace("fetch-depth: 0", "fetch-depth: 0\n          no-such-input: 1", 1)
    path = tmp_path / "pr.yml"
    path.write_text(broken)
    result = _actionlint(path)
    assert result.returncode == 1
    assert "SC2086" in result.stdout and 'input "no-such-input" is not defined' in result.stdout


def test_test_job_is_ci_run(wf: dict[str, Any]) -> None:
    """The workflow's checks cannot drift from .ci/run: its test job runs .ci/run itself."""
    assert _runs(wf["jobs"]["test"]) == ["bash .ci/run"]
    script = CI_RUN.read_text()
    commands = [line.strip() for line in script.splitlines() if line.startswith(".venv/bin/")]
    assert commands[-4:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy",
        ".venv/bin/python -m pytest -q",
    ]
    pytest_args = commands[-1].split("pytest", 1)[1]
    assert " -m" not in pytest_args and " -k" not in pytest_args  # no marker filters
    readme = (ROOT / "README.md").read_text() + (ROOT / "CONTRIBUTING.md").read_text()
    assert ".venv/bin/python -m pytest -q" in readme


def test_no_marker_filter_or_swallowed_exit_code(wf: dict[str, Any]) -> None:
    for name, job in wf["jobs"].items():
        for script in _runs(job):
            assert "pytest -m" not in script and "not sshd" not in script, name
            assert "|| true" not in script and "set +e" not in script, name
            if "\n" in script.strip():
                assert script.lstrip().startswith("set -euo pipefail"), (name, script[:60])


def test_project_installed_into_the_venv_pulumi_uses(wf: dict[str, Any]) -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    venv = project["runtime"]["options"]["virtualenv"]
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert (ROOT / "policy" / pack["runtime"]["options"]["virtualenv"]).resolve() == ROOT / venv
    install = "\n".join(_runs(wf["jobs"]["preview"]))
    assert f"python -m venv {venv}" in install
    assert f"{venv}/bin/python -m pip install -e . -r policy/requirements.txt" in install
    assert "pip install" not in install.replace(f"{venv}/bin/python -m pip install", "")


def test_preview_uses_policy_pack_json_and_fails_loudly(wf: dict[str, Any]) -> None:
    script = _runs(wf["jobs"]["preview"])[-1]
    preview = re.search(r"pulumi preview [^|>]*", script.replace("\\\n", " "))
    assert preview and "--policy-pack policy" in preview[0] and "--json" in preview[0]
    assert "--policy-pack-config policy-config.json" in preview[0]
    assert "python -m policy.config" in script  # config keyed by policy name, from the stack
    # A failed preview writes a short note, never renders its JSON, and fails the job.
    failed = script[script.index('if [ "$rc" -ne 0 ]') : script.index("fi\n")]
    assert "gpufleet review" not in failed and 'exit "$rc"' in failed
    assert script.index('exit "$rc"') < script.index("gpufleet review")
    upload = wf["jobs"]["preview"]["steps"][-1]
    assert upload["if"].startswith("always()")  # the failure note reaches the comment


def test_one_sticky_comment_never_cut_mid_element(wf: dict[str, Any]) -> None:
    marker = wf["env"]["STICKY_MARKER"]
    assert marker.startswith("<!--") and marker.endswith("-->")
    budgets = int(wf["env"]["PREVIEW_CHARS"]) + int(wf["env"]["OFFLINE_CHARS"])
    assert budgets < 65_536 - 1_000  # room for the marker and headings
    comment = wf["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assembled = "\n".join(_runs(comment))
    assert "head -c" not in assembled and "65536" in assembled
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


def _wrapper(path: Path, target: str) -> None:
    path.write_text(f'#!/bin/sh\nexec "{target}" "$@"\n')
    path.chmod(0o755)


@pytest.mark.parametrize("rc", [0, 255])
def test_preview_step_runs_as_written(wf: dict[str, Any], tmp_path: Path, rc: int) -> None:
    """The preview step's own bash, run with a stand-in `pulumi` that answers like the CLI:
    on success the review is rendered; on failure only the short note, and the step fails."""
    script = _runs(wf["jobs"]["preview"])[-1]
    (tmp_path / "Pulumi.dev.yaml").write_text((ROOT / "Pulumi.example.yaml").read_text())
    venv, fake = tmp_path / ".venv" / "bin", tmp_path / "fake"
    venv.mkdir(parents=True)
    fake.mkdir()
    _wrapper(venv / "python", sys.executable)
    _wrapper(venv / "gpufleet", _tool("gpufleet"))
    (fake / "pulumi").write_text(
        '#!/bin/sh\necho "$@" > pulumi-args\n'
        f'cat "{ROOT}/tests/review/cases/preview_pool_grows.json" | head -c "$FAKE_BYTES"\n'
        'exit "$FAKE_RC"\n'
    )
    (fake / "pulumi").chmod(0o755)
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "PULUMI_STACK": "dev",
        "PREVIEW_CHARS": wf["env"]["PREVIEW_CHARS"],
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/fleet",
        "GITHUB_RUN_ID": "42",
        "FAKE_RC": str(rc),
        "FAKE_BYTES": "100000" if rc == 0 else "300",  # a failed preview leaves half a file
    }
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == rc, result.stderr
    args = (tmp_path / "pulumi-args").read_text()
    assert "--policy-pack policy --policy-pack-config policy-config.json --json" in args
    config = json.loads((tmp_path / "policy-config.json").read_text())
    assert config["software-compatible"]["cuda"]  # keyed by policy name, from the stack
    comment = (tmp_path / "preview.md").read_text()
    if rc == 0:
        assert "Grows GPU pool h100" in comment and len(comment) <= 40_000
    else:
        assert comment.startswith("#### ❌ `pulumi preview` failed (exit code 255)")
        assert "https://github.example/acme/fleet/actions/runs/42" in comment
        assert "GPU pool" not in comment  # never a review of the half-written file


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=60)


def test_offline_diff_and_comment_steps_stay_under_the_limit(
    wf: dict[str, Any], tmp_path: Path
) -> None:
    """The offline-diff and comment steps' own bash on three changed stacks and a big preview:
    the body they assemble stays under 65,536 characters with every element closed."""
    from tests.review.test_size import assert_balanced

    repo = tmp_path / "repo"
    repo.mkdir()
    stacks = {
        "Pulumi.a.yaml": ROOT / "Pulumi.example.yaml",
        "Pulumi.b.yaml": ROOT / "examples" / "Pulumi.h200-64.yaml",
        "Pulumi.c.yaml": ROOT / "examples" / "Pulumi.multi-pool.yaml",
    }
    for name, source in stacks.items():
        (repo / name).write_text(source.read_text())
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    for name in stacks:  # every pool gets a new image: its launch template is replaced
        text = (repo / name).read_text()
        (repo / name).write_text(re.sub(r"(image_id: ocid1\.image\.\S+?)0000", r"\g<1>1111", text))
    venv = repo / ".venv" / "bin"
    venv.mkdir(parents=True)
    _wrapper(venv / "gpufleet", _tool("gpufleet"))
    env = {"PATH": "/usr/bin:/bin", "BASE_REF": "main", "OFFLINE_CHARS": wf["env"]["OFFLINE_CHARS"],
           "HOME": str(tmp_path)}  # fmt: skip
    offline = next(s for s in _runs(wf["jobs"]["offline-diff"]) if "gpufleet diff" in s)
    result = subprocess.run(["bash", "-c", offline], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=600, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    offline_md = (repo / "offline.md").read_text()
    assert offline_md.count("offline plan diff</summary>") == 3
    assert len(offline_md) <= int(wf["env"]["OFFLINE_CHARS"])

    review = repo / "review"
    (review / "preview").mkdir(parents=True)
    (review / "offline-diff").mkdir()
    (review / "offline-diff" / "offline.md").write_text(offline_md)
    big = subprocess.run(
        [_tool("gpufleet"), "review", "--max-chars", wf["env"]["PREVIEW_CHARS"],
         f"dev={ROOT / 'tests/review/cases/preview_huge_diff_truncated.json'}"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    (review / "preview" / "preview.md").write_text(big.stdout)
    assemble = _runs(wf["jobs"]["comment"])[0]
    summary = tmp_path / "summary.md"
    env = {"PATH": "/usr/bin:/bin", "STICKY_MARKER": wf["env"]["STICKY_MARKER"],
           "GITHUB_STEP_SUMMARY": str(summary)}  # fmt: skip
    result = subprocess.run(["bash", "-c", assemble], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = (repo / "body.md").read_text()
    assert body.startswith(wf["env"]["STICKY_MARKER"]) and len(body) <= 65_536
    assert_balanced(body)
    assert summary.read_text() == body
