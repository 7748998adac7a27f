"""`gpufleet diff`: two stack configs planned offline and compared."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.review.model import Disruption, ReviewInputError
from bootstrap.review.offline import diff_manifests
from infra.offline.plan import EXAMPLE_STACK, run_plan

EXAMPLE = EXAMPLE_STACK.read_text()
ROOT = Path(__file__).resolve().parents[2]
IMAGE = "ocid1.image.oc1.iad.aaaaaaaaexamplegpuimageubuntu2204000000000000000000000"
NEW_IMAGE = "ocid1.image.oc1.iad.aaaaaaaaexamplegpuimageubuntu2404000000000000000000000"


def _stack(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def base() -> dict:
    return run_plan(EXAMPLE_STACK).manifest()


def _diff(base: dict, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    return diff_manifests(base, run_plan(_stack(tmp_path, "head", text)).manifest())


def test_same_config_no_changes(base: dict) -> None:
    review = diff_manifests(base, base)
    assert review.changes == () and review.impacts == ()


def test_grow_pool_is_only_a_size_update(base: dict, tmp_path: Path) -> None:
    review = _diff(base, tmp_path, EXAMPLE.replace("nodes: 2", "nodes: 4"))
    assert [(c.op, c.name) for c in review.changes] == [("update", "dev-h100-cn")]
    assert review.changes[0].diff_paths == (("instancePools[0].size", "update"),)
    (impact,) = review.impacts
    assert (impact.nodes_before, impact.nodes_after, impact.gpus_after) == (2, 4, 32)
    assert impact.disruption is Disruption.NEW_NODES


def test_image_change_predicts_instance_configuration_replacement(
    base: dict, tmp_path: Path
) -> None:
    review = _diff(base, tmp_path, EXAMPLE.replace(IMAGE, NEW_IMAGE))
    ops = {c.name: c for c in review.changes}
    ic = ops["dev-h100-ic"]
    assert ic.op == "replace" and ic.predicted
    assert ic.forcenew[0].path == "instanceDetails.launchDetails.sourceDetails.imageId"
    assert "core_instance_configuration_resource.go" in ic.forcenew[0].source
    cn = ops["dev-h100-cn"]  # the cluster network updates its instance configuration in place
    assert cn.op == "update" and cn.cascade == ("dev-h100-ic",)
    assert review.impacts[0].disruption is Disruption.NEW_NODES


def test_image_change_in_compute_cluster_mode_keeps_every_node(tmp_path: Path) -> None:
    """Nodes ignore their instance configuration's id (docs/day2.md): a new image makes a new
    configuration for nodes launched from now on; no running node is replaced."""
    cc = EXAMPLE.replace("mode: cluster_network", "mode: compute_cluster")
    base = run_plan(_stack(tmp_path, "base", cc)).manifest()
    review = _diff(base, tmp_path, cc.replace(IMAGE, NEW_IMAGE))
    assert [(c.op, c.name) for c in review.changes] == [("replace", "dev-h100-ic")]
    assert review.impacts[0].disruption is Disruption.NEW_NODES


def test_replace_nodes_recreates_only_that_node(tmp_path: Path) -> None:
    cc = EXAMPLE.replace("mode: cluster_network", "mode: compute_cluster")
    base = run_plan(_stack(tmp_path, "base", cc)).manifest()
    bumped = cc.replace("os: ubuntu-22.04", "os: ubuntu-22.04\n      replace_nodes: {h100-0002: 1}")
    head = run_plan(_stack(tmp_path, "head", bumped)).manifest()
    (node,) = diff_manifests(base, head).changes
    assert (node.op, node.name) == ("replace", "dev-h100-0002")
    assert node.forcenew[0].rule == "replacement_trigger"
    assert "gen-0 -> gen-1" in node.forcenew[0].source
    # the engine refuses a replace only when old and new are both protected
    (after,) = [r for r in head["resources"] if r["name"] == "dev-h100-0002"]
    assert after["protect"] is False and after["delete_before_replace"] is True


def test_moving_the_pool_subnet_replaces_the_cluster_network(base: dict) -> None:
    head = {
        "resources": [
            dict(
                r,
                inputs=dict(
                    r["inputs"],
                    placementConfiguration={
                        "availabilityDomain": "Xxxx:US-ASHBURN-AD-2",
                        "primarySubnetId": "other-id",
                    },
                ),
            )
            if r["name"] == "dev-h100-cn"
            else r
            for r in base["resources"]
        ]
    }
    review = diff_manifests(base, head)
    (change,) = review.changes
    assert change.op == "replace" and change.replace_reasons == ("placementConfiguration",)
    assert review.impacts[0].disruption is Disruption.RECREATE


def test_removed_pool_is_destroyed(base: dict) -> None:
    head = {"resources": [r for r in base["resources"] if not r["name"].startswith("dev-h100")]}
    review = diff_manifests(base, head)
    assert review.impacts[0].disruption is Disruption.DESTROY
    assert {c.op for c in review.changes} == {"delete"}


def test_bad_manifest() -> None:
    with pytest.raises(ReviewInputError):
        diff_manifests({"resources": [{"name": 1}]}, {"resources": []})


def test_cli_diff_and_base_ref(tmp_path: Path) -> None:
    head = _stack(tmp_path, "head", EXAMPLE.replace("nodes: 2", "nodes: 3"))
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", "--base", str(EXAMPLE_STACK), "--head", str(head)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("### 🟡 Grows GPU pool h100: 2 → 3 nodes (+8 GPUs)")
    assert result.stderr == f"gpufleet: stack config {head} (--head)\n"
    # --base-ref reads the base from git at the head's path
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    repo_stack = _stack(tmp_path, "dev", EXAMPLE)
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "add", repo_stack.name], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    repo_stack.write_text(EXAMPLE.replace("nodes: 2", "nodes: 5"))
    result = runner.invoke(cli, ["diff", "--base-ref", "HEAD", "--head", str(repo_stack)])
    assert result.exit_code == 0, result.output
    assert "2 → 5 nodes" in result.stdout.splitlines()[0]


def test_cli_usage_and_config_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["diff"]).exit_code == 2
    broken = _stack(tmp_path, "broken", EXAMPLE.replace("nodes: 2", "nodes: -1"))
    result = runner.invoke(cli, ["diff", "--base", str(EXAMPLE_STACK), "--head", str(broken)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = runner.invoke(cli, ["diff", "--base-ref", "no-such-ref", "--head", str(broken)])
    assert result.exit_code == 2


def test_growing_the_100k_stack_shows_only_creates(tmp_path: Path) -> None:
    """Issue 7: grow a chunked pool 10,000 -> 12,500 nodes: only new cluster networks."""
    import yaml

    from infra.offline.plan import run_plan

    doc = yaml.safe_load((ROOT / "examples" / "Pulumi.100k-h100.yaml").read_text())
    pool = doc["config"]["gpufleet:pools"][0]
    manifests = []
    for nodes in (10_000, 12_500):
        pool.update(nodes=nodes, spares=0)
        path = tmp_path / f"Pulumi.grow-{nodes}.yaml"
        path.write_text(yaml.safe_dump(doc))
        manifests.append(run_plan(path).manifest())
    review = diff_manifests(*manifests)
    ops = {c.op for c in review.changes}
    assert ops == {"create"}
    created = sorted(c.name for c in review.changes)
    assert created == sorted(f"titan-h100-cn-{i}" for i in range(20, 25))
    (impact,) = review.impacts
    assert (impact.nodes_before, impact.nodes_after) == (10_000, 12_500)
    assert impact.disruption == Disruption.NEW_NODES
