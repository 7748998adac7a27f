"""`gpufleet bootstrap` against a real fleet of OpenSSH daemons behind a bastion."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import paramiko
import pytest
from click.testing import Result

from tests import sshfleet
from tests.runner.fleet_helpers import (
    by_node,
    gpufleet,
    gpufleet_process,
    only_run,
    results_of,
    write_script,
)

pytestmark = pytest.mark.sshd


def _bootstrap(inventory: Path, script: Path, logs: Path, *extra: str) -> Result:
    return gpufleet(
        "bootstrap",
        "--inventory",
        str(inventory),
        "--script",
        str(script),
        "--logs",
        str(logs),
        *extra,
    )


@pytest.mark.parametrize("upload", ["stdin", "sftp"])
def test_all_nodes_succeed(fleet: sshfleet.Fleet, tmp_path: Path, token: str, upload: str) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    script = write_script(tmp_path, token, padding=750)  # ~60 KB, like a rendered script
    before = fleet.bastion_log_size()

    result = _bootstrap(
        inventory,
        script,
        tmp_path / "logs",
        "--upload",
        upload,
        "--only",
        "check_disk,install_driver",
        "--check",
    )

    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "logs")
    doc = results_of(run)
    assert doc["recap"] == {
        "train": {"ok": 0, "changed": 32, "failed": 0, "unreachable": 0, "skipped": 0}
    }
    for name, r in by_node(doc).items():
        assert [s["step"] for s in r["steps"]] == ["check_disk", "install_driver"]
        assert r["exit_code"] == 0 and r["error_category"] is None
        log = (run / f"{name}.log").read_text()
        # uploaded with mode 0700, arguments passed through, run under sudo (the fleet logs
        # in as an unprivileged user), stderr kept apart
        assert "[stderr] mode=700 args=--only check_disk,install_driver --check uid=0" in log
        assert (fleet.node_dir(name) / token / "end").exists()
    bastion_log = fleet.bastion_log_since(before)
    assert sshfleet.accepted_logins(bastion_log) == 1  # one bastion transport for all 32
    assert bastion_log.count("new direct-tcpip") == 32
    assert not list(fleet.home.glob(f".gpufleet/{run.name}-*"))  # script removed after run


def test_failures_on_some_nodes_leave_others_ok(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    script = write_script(tmp_path, token, fail_on="node-0002 node-0017 node-0031")

    result = _bootstrap(inventory, script, tmp_path / "logs")

    assert result.exit_code == 1
    results = by_node(results_of(only_run(tmp_path / "logs")))
    failed = {n for n, r in results.items() if r["status"] == "failed"}
    assert failed == {"node-0002", "node-0017", "node-0031"}
    bad = results["node-0017"]
    assert bad["exit_code"] == 3
    assert bad["failed_step"] == "install_driver"
    assert bad["error_category"] == "command"
    assert "dkms build failed" in bad["error_message"]
    assert "dkms: error: build failed" in bad["output_tail"]
    assert all(r["status"] == "changed" for n, r in results.items() if n not in failed)
    assert "Re-run only these nodes" in result.output


def test_node_without_daemon_is_unreachable_not_failed(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    dead = {
        "name": "dead-0001",
        "host": fleet.bastion.address.rsplit(".", 1)[0] + ".253",
        "port": 2222,
        "pool": "train",
        "shape": "BM.GPU.H100.8",
    }
    inventory = fleet.write_inventory(tmp_path / "inventory.json", extra_nodes=[dead])
    script = write_script(tmp_path, token)

    started = time.monotonic()
    result = _bootstrap(inventory, script, tmp_path / "logs", "--connect-timeout", "2")

    assert result.exit_code == 1
    doc = results_of(only_run(tmp_path / "logs"))
    r = by_node(doc)["dead-0001"]
    assert r["status"] == "unreachable"
    assert r["error_category"] == "connect"
    assert r["exit_code"] is None and r["steps"] == [] and r["failed_step"] is None
    assert "could not connect to" in r["error_message"]
    assert r["attempts"] == 3  # connect-class errors are retried, with jitter
    assert r["duration"] < 6
    assert doc["recap"]["train"]["changed"] == 32
    assert doc["recap"]["train"]["unreachable"] == 1
    assert time.monotonic() - started < 20


def test_changed_host_key_is_refused_and_nothing_runs(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    victim = fleet.node("node-0005")
    entry = f"[{victim.address}]:{victim.port}"
    other_key = paramiko.Ed25519Key.from_private_key_file(str(fleet.bastion.host_key))
    lines = [
        line
        if not line.startswith(entry + " ")
        else f"{entry} ssh-ed25519 {other_key.get_base64()}\n"
        for line in fleet.known_hosts.read_text().splitlines(keepends=True)
    ]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("".join(lines))
    inventory = fleet.write_inventory(
        tmp_path / "inventory.json", ssh={"known_hosts": str(known_hosts)}
    )
    script = write_script(tmp_path, token)

    # Even with --accept-new-host-keys: a CHANGED key is never accepted.
    result = _bootstrap(inventory, script, tmp_path / "logs", "--accept-new-host-keys")

    assert result.exit_code == 1
    r = by_node(results_of(only_run(tmp_path / "logs")))["node-0005"]
    assert r["status"] == "unreachable"
    assert r["error_category"] == "host-key"
    assert "CHANGED" in r["error_message"]
    assert f"ssh-keygen -R '{entry}' -f {known_hosts}" in r["error_message"]
    assert r["attempts"] == 1  # host-key errors are not retried
    assert not (fleet.node_dir("node-0005") / token).exists()  # the script never started
    assert (fleet.node_dir("node-0004") / token / "end").exists()
    assert known_hosts.read_text() == "".join(lines)  # nothing recorded


def test_unknown_host_strict_then_accept_new(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    known_hosts = tmp_path / "known_hosts"
    keep = [
        line
        for line in fleet.known_hosts.read_text().splitlines(keepends=True)
        if not line.startswith(f"[{fleet.node('node-0009').address}]")
    ]
    known_hosts.write_text("".join(keep))
    inventory = fleet.write_inventory(
        tmp_path / "inventory.json", ssh={"known_hosts": str(known_hosts)}
    )
    script = write_script(tmp_path, token)

    strict = _bootstrap(inventory, script, tmp_path / "strict")
    r = by_node(results_of(only_run(tmp_path / "strict")))["node-0009"]
    assert strict.exit_code == 1
    assert (r["status"], r["error_category"]) == ("unreachable", "host-key")
    assert "--accept-new-host-keys" in r["error_message"]

    accept = _bootstrap(inventory, script, tmp_path / "accept", "--accept-new-host-keys")
    assert accept.exit_code == 0, accept.output
    assert known_hosts.read_text().count(fleet.node("node-0009").address) == 1


def test_hung_node_hits_its_deadline(fleet: sshfleet.Fleet, tmp_path: Path, token: str) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    script = write_script(tmp_path, token, hang_on="node-0011")

    started = time.monotonic()
    result = _bootstrap(inventory, script, tmp_path / "logs", "--deadline", "4")

    assert time.monotonic() - started < 15
    assert result.exit_code == 1
    results = by_node(results_of(only_run(tmp_path / "logs")))
    hung = results["node-0011"]
    assert (hung["status"], hung["error_category"]) == ("failed", "timeout")
    assert 3.5 <= hung["duration"] < 8
    assert [s["step"] for s in hung["steps"]] == ["check_disk"]
    assert sum(r["status"] == "changed" for r in results.values()) == 31
    time.sleep(1.5)
    assert not (fleet.node_dir("node-0011") / token / "after-hang").exists()  # killed, not left


def test_concurrency_bound_is_never_exceeded(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    script = write_script(tmp_path, token, sleep=0.3)
    before = fleet.bastion_log_size()

    result = _bootstrap(inventory, script, tmp_path / "logs", "--concurrency", "6")

    assert result.exit_code == 0, result.output
    # Measured on the daemons' side: tunnels open at once on the bastion, and scripts running
    # at once from their own timestamps.
    assert sshfleet.max_open_tunnels(fleet.bastion_log_since(before)) == 6
    spans = []
    for node in fleet.nodes:
        marks = fleet.node_dir(node.name) / token
        spans.append((float((marks / "start").read_text()), float((marks / "end").read_text())))
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, delta in edges:
        running += delta
        peak = max(peak, running)
    assert 2 <= peak <= 6


def test_max_fail_percent_stops_starting_nodes(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    failing = " ".join(f"node-{i:04d}" for i in range(8))
    script = write_script(tmp_path, token, fail_on=failing)

    result = _bootstrap(
        inventory, script, tmp_path / "logs", "--concurrency", "4", "--max-fail-percent", "10"
    )

    assert result.exit_code == 1
    doc = results_of(only_run(tmp_path / "logs"))
    assert "--max-fail-percent 10" in doc["aborted"]
    skipped = [r for r in doc["results"] if r["status"] == "skipped"]
    assert len(skipped) >= 20
    assert all(r["error_message"].startswith("not started:") for r in skipped)
    assert all(not (fleet.node_dir(r["node"]) / token).exists() for r in skipped)


def test_interrupted_run_resumes_with_retry_failed(
    fleet: sshfleet.Fleet, tmp_path: Path, token: str
) -> None:
    inventory = fleet.write_inventory(tmp_path / "inventory.json")
    script = write_script(tmp_path, token, sleep=0.4)
    logs = tmp_path / "logs"
    args = ["--inventory", str(inventory), "--logs", str(logs)]
    proc = gpufleet_process("bootstrap", *args, "--script", str(script), "--concurrency", "4")
    ends = [fleet.node_dir(n.name) / token / "end" for n in fleet.nodes]
    deadline = time.monotonic() + 30
    while sum(e.exists() for e in ends) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)

    assert proc.returncode == 1, err
    assert "Traceback" not in err
    first = results_of(only_run(logs))
    assert first["interrupted"] is True
    done = {r["node"] for r in first["results"] if r["status"] == "changed"}
    assert 4 <= len(done) < 32  # markers run slightly ahead of recorded results
    rest = {r["node"] for r in first["results"]} - done
    for r in first["results"]:
        if r["node"] in rest:  # in flight: stopped and marked; not started: skipped
            assert (r["status"], r["error_category"]) in {
                ("failed", "interrupted"),
                ("skipped", None),
            }

    retry = gpufleet("bootstrap", *args, "--retry-failed", first["run_id"], "--json")

    assert retry.exit_code == 0, retry.output
    second = json.loads(retry.stdout)
    assert second["retry_of"] == first["run_id"]
    assert {r["node"] for r in second["results"]} == rest
    assert all(r["status"] == "changed" for r in second["results"])
    for n in done:  # nodes done in the first run were not run again
        assert (fleet.node_dir(n) / token / "runs").read_text().strip() == "1"


def test_ad_hoc_command_on_every_node(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    inventory = fleet.write_inventory(
        tmp_path / "inventory.json", pools={"infer": ["node-0000", "node-0001"]}
    )
    result = gpufleet(
        "run",
        "--inventory",
        str(inventory),
        "--logs",
        str(tmp_path / "logs"),
        "--json",
        "--",
        "echo",
        "$GPUFLEET_NODE;",
        "exit",
        "0",
    )

    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["recap"]["infer"]["ok"] == 2 and doc["recap"]["train"]["ok"] == 30
    assert all(r["output_tail"] == [r["node"]] for r in doc["results"])


def test_nodes_refuse_logins_that_bypass_the_bastion(fleet: sshfleet.Fleet) -> None:
    if not fleet.isolated:
        pytest.skip("no C compiler for the bastion's source-address shim")
    node = fleet.nodes[0]
    transport = paramiko.Transport((node.address, node.port))
    try:
        transport.start_client(timeout=10)
        key = paramiko.Ed25519Key.from_private_key_file(str(fleet.user_key))
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_publickey(fleet.user, key)
    finally:
        transport.close()
    assert "not allowed because not listed in AllowUsers" in node.log_text()
