"""--check, --only, --skip, usage errors, the lock, failing steps, truncated copies."""

from __future__ import annotations

import fcntl
import json
import os

from tests.render.configs import config_with, pool


def h100(make_node):
    return make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))


def snapshot(root):
    return {
        p: (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if "var/log" not in str(p)
    }


def test_check_mode_observes_only_and_says_would(make_node):
    node = h100(make_node)
    before = snapshot(node.root)
    result = node.run("--check")
    assert result.rc == 0, result.stderr[-2000:]
    for line in result.by_step().values():
        if line["status"] == "changed":
            assert line["message"].startswith("would "), line
    assert result.status_of()["nvidia_driver"] == "changed"
    assert snapshot(node.root) == before
    observing = (
        "rpm ",
        "dpkg-query ",
        "systemctl is-",
        "nvidia-smi ",
        "ip -o",
        "wpa_cli ",
        "ofed_info ",
        "blkid ",
        "df ",
        "docker image",
        "podman image",
    )
    assert all(c.startswith(observing) for c in node.calls()), node.calls()
    assert not (node.root / "var/lib/gpufleet/state").exists()


def test_only_and_skip(make_node):
    node = h100(make_node)
    only = node.run("--only", "os_tuning,nccl")
    assert only.rc == 0
    st = only.status_of()
    assert st["os_tuning"] == st["nccl"] == "changed"
    assert {s for s, v in st.items() if v == "skipped"} == set(st) - {"os_tuning", "nccl"}
    assert only.by_step()["preflight"]["message"] == "not selected (--only/--skip)"
    skip = node.run("--skip", "rdma,nccl_tests,training_stack,nvidia_driver,local_nvme")
    assert skip.rc == 0
    st = skip.status_of()
    assert st["rdma"] == st["local_nvme"] == "skipped" and st["nccl"] == "ok"
    assert st["shared_fs"] == st["health_timer"] == "changed"


def test_usage_errors_exit_2(make_node):
    node = h100(make_node)
    for args in (["--only", "nope"], ["--skip", "rdma,bogus"], ["--frobnicate"], ["--only"]):
        result = node.run(*args)
        assert result.rc == 2, args
        assert result.stdout == ""
        assert "gpufleet-bootstrap:" in result.stderr
    listed = node.run("--list")
    assert listed.rc == 0 and listed.stdout.split() == [s["name"] for s in node.ctx["steps"]]


def test_a_second_concurrent_run_exits_5(make_node):
    node = h100(make_node)
    lock = node.root / "var/lib/gpufleet/state/.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = node.run()
    assert result.rc == 5 and result.stdout == ""
    assert "holds" in result.stderr


def test_a_failing_step_stops_with_exit_4_and_a_status_line(make_node):
    node = h100(make_node)
    (node.state / "fail").mkdir()
    (node.state / "fail/apt-get").write_text("100")
    result = node.run()
    assert result.rc == 4
    last = result.statuses[-1]
    assert last["step"] == "nvidia_driver" and last["status"] == "failed"
    assert "exited 100" in last["message"]
    assert [s["step"] for s in result.statuses][-2] == "nvidia_repo"  # nothing ran after it


def test_an_unexpected_error_inside_a_step_is_reported_by_the_err_trap(make_node):
    node = h100(make_node)
    # A read-only limits dir makes the plain `mv` inside gf::file::write fail (no gf::run).
    target = node.root / "etc/security/limits.d"
    target.mkdir(parents=True)
    os.chmod(target, 0o500)
    try:
        result = node.run()
    finally:
        os.chmod(target, 0o700)
    if os.geteuid() == 0:  # root ignores the permission bits; nothing to observe here
        return
    assert result.rc == 4
    last = result.statuses[-1]
    assert last["step"] == "os_tuning" and last["status"] == "failed"
    assert last["message"].startswith("line ")


def test_a_truncated_copy_runs_nothing(make_node):
    node = h100(make_node)
    text = node.files["bootstrap.sh"]
    for cut in (len(text) // 3, len(text) // 2, len(text) - 40):
        part = node.script.parent / f"cut{cut}.sh"
        part.write_text(text[:cut])
        result = node.run(script=part)
        assert result.stdout == ""
        assert node.calls() == []


def test_status_lines_are_json_even_for_hostile_messages(make_node):
    node = h100(make_node)
    (node.imds / "instance/shape").write_text('BM.GPU.X"\\\n\t$(x)')
    result = node.run()
    assert result.rc == 3
    line = json.loads(result.stdout.splitlines()[0])
    assert line["step"] == "preflight" and 'BM.GPU.X"\\\n\t$(x)' in line["message"]
