"""Stopping and failing, against a real sshd fleet of its own (these tests cut connections,
kill sshd processes and stop daemons, so they never touch the shared session fleet):

* Ctrl-C stops the job's whole process group on the node, and a retry never runs beside it;
* a second start on a node waits for the node's job lock, or refuses when it stays held; an
  ad-hoc `run` has a lock of its own command, so it answers during a bootstrap;
* what ended a node is told apart: a dropped node connection, a lost bastion, a remote
  signal, a hung sshd (bounded by --deadline), a broken handshake (no traceback printed).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bootstrap.results import NodeResult
from bootstrap.runner import RunSettings, run_fleet
from bootstrap.runner.jobs import CommandJob, ScriptJob
from bootstrap.runner.setup import build_connector, select_inventory
from tests import sshfleet
from tests.runner.fleet_helpers import fleet_for, gpufleet_process

pytestmark = pytest.mark.sshd

# A long job that records its process group (field 5 of /proc/PID/stat: no procps needed) and
# its lifetime (start/end lines appended to a per-node journal; the EXIT trap also runs when
# the group is sent TERM).
LONG_JOB = (
    'd="$GPUFLEET_NODE_DIR/{token}"; mkdir -p "$d"; '
    'read -r _ _ _ _ pgid _ < /proc/$$/stat; echo "$pgid" > "$d/pgid.$$"; '
    'echo "start $$ $EPOCHREALTIME" >> "$d/journal"; '
    "trap 'echo \"end $$ $EPOCHREALTIME\" >> \"$d/journal\"' EXIT; trap 'exit 143' TERM; "
    "sleep {sleep} & wait"
)


@pytest.fixture(scope="module")
def small_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshfleet.Fleet]:
    yield from fleet_for(tmp_path_factory, "stop-fleet", 3)


def _inventory(
    fleet: sshfleet.Fleet, tmp_path: Path, extra: list[dict[str, Any]] | None = None
) -> Path:
    return fleet.write_inventory(tmp_path / "inventory.json", extra_nodes=extra or [])


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _pgids(fleet: sshfleet.Fleet, node: str, token: str) -> list[int]:
    folder = fleet.node_dir(node) / token
    return [int(p.read_text()) for p in folder.glob("pgid.*") if p.read_text().strip()]


def _journal(fleet: sshfleet.Fleet, node: str, token: str) -> dict[str, list[float]]:
    """pid -> [start, end] (end missing while running) from the node's journal."""
    spans: dict[str, list[float]] = {}
    path = fleet.node_dir(node) / token / "journal"
    for line in path.read_text().splitlines() if path.exists() else []:
        assert len(line.split()) == 3, path.read_text()
        _, pid, when = line.split()
        spans.setdefault(pid, []).append(float(when))
    return spans


def _kill(pids: set[int]) -> None:
    assert pids, "no sshd session to cut"
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a privsep child may exit meanwhile
            os.kill(pid, signal.SIGKILL)


def _cli(inventory: Path, logs: Path, *args: str) -> subprocess.Popen[str]:
    return gpufleet_process("run", "--inventory", str(inventory), "--logs", str(logs), *args)


def _results(logs: Path) -> list[dict[str, Any]]:
    docs = [json.loads(p.read_text()) for p in logs.glob("*/results.json")]
    return [r for d in sorted(docs, key=lambda d: d["started_at"]) for r in d["results"]]


def test_ctrl_c_stops_the_job_group_on_every_node_and_a_retry_never_overlaps(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    fleet, token = small_fleet, "ctrlc"
    inventory = _inventory(fleet, tmp_path)
    # The same command line both times (a retry shares the first run's node lock); each run
    # sleeps as long as the node's `sleep` file says when it starts.
    job = LONG_JOB.format(token=token, sleep='"$(cat "$d/sleep" 2>/dev/null || echo 300)"')
    names = [d.name for d in fleet.nodes]
    first = _cli(inventory, tmp_path / "logs", "--sudo", "--", job)
    _wait_for(lambda: all(_pgids(fleet, n, token) for n in names))
    groups = [g for n in names for g in _pgids(fleet, n, token)]
    assert all(sshfleet.process_group_alive(g) for g in groups)
    for name in names:
        (fleet.node_dir(name) / token / "sleep").write_text("1\n")

    first.send_signal(signal.SIGINT)
    # the retry starts at once, while the first run may still be winding down
    retry = _cli(inventory, tmp_path / "logs-retry", "--sudo", "--", job)
    _, err = first.communicate(timeout=60)
    retry.communicate(timeout=60)

    assert "Traceback" not in err
    _wait_for(lambda: not any(sshfleet.process_group_alive(g) for g in groups), timeout=10)
    for name in names:
        spans = sorted(_journal(fleet, name, token).values())
        assert len(spans) == 2, spans  # the interrupted job and the retry, each ended
        assert all(len(span) == 2 for span in spans), spans  # each started and ended
        assert spans[0][1] <= spans[1][0], f"{name}: the retry ran beside the interrupted job"


def test_a_second_start_waits_for_the_node_lock_or_refuses(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    fleet, token = small_fleet, "lock"
    inv = select_inventory(_inventory(fleet, tmp_path), limit=["node-0000"])
    results: dict[str, NodeResult] = {}

    def start(tag: str, command: str, lock_wait: float) -> threading.Thread:
        def go() -> None:
            report = run_fleet(
                inv.nodes,
                lambda node: CommandJob(command),
                connector=build_connector(inv),
                settings=RunSettings(lock_wait=lock_wait),
                logs_dir=tmp_path / f"logs-{tag}",
                kind="run",
                params={},
            )
            results[tag] = report.results[0]

        thread = threading.Thread(target=go)
        thread.start()
        return thread

    marker = fleet.node_dir("node-0000") / token
    holder = start("holder", LONG_JOB.format(token=token, sleep=3), 20)
    _wait_for(lambda: bool(_journal(fleet, "node-0000", token)))
    refused = start("refused", f"touch {marker}/refused-ran", 0.5)
    waiter = start("waiter", LONG_JOB.format(token=token, sleep=0), 20)
    for thread in (holder, refused, waiter):
        thread.join(60)

    assert results["holder"].status.succeeded and results["waiter"].status.succeeded
    refusal = results["refused"]
    assert (refusal.status.value, refusal.error_category) == ("failed", "locked")
    assert "another gpufleet job holds" in (refusal.error_message or "")
    assert not (marker / "refused-ran").exists()  # nothing was started
    holder_span, waiter_span = sorted(_journal(fleet, "node-0000", token).values())
    assert len(holder_span) == len(waiter_span) == 2
    assert holder_span[1] <= waiter_span[0]  # the waiter ran only after the holder ended


def test_an_ad_hoc_run_answers_during_a_bootstrap_but_never_overlaps_itself(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    fleet, token, name = small_fleet, "runlock", "node-0001"
    inventory = _inventory(fleet, tmp_path)
    inv = select_inventory(inventory, limit=[name])
    script = ("#!/bin/bash\n" + LONG_JOB.format(token=f"{token}/boot", sleep=8) + "\n").encode()
    boot: dict[str, NodeResult] = {}

    def bootstrap() -> None:
        report = run_fleet(
            inv.nodes,
            lambda node: ScriptJob(script),
            connector=build_connector(inv),
            settings=RunSettings(sudo=""),
            logs_dir=tmp_path / "logs-boot",
            kind="bootstrap",
            params={},
        )
        boot["result"] = report.results[0]

    holder = threading.Thread(target=bootstrap)
    holder.start()
    _wait_for(lambda: bool(_journal(fleet, name, f"{token}/boot")))
    # Another command answers at once although the bootstrap holds the node's job lock.
    started = time.monotonic()
    results, _ = _run_json(inventory, tmp_path / "logs", "--limit", name, "--sudo", "--", "id -u")
    assert results[name]["status"] == "ok", results[name]
    assert results[name]["output_tail"] == ["0"]
    assert time.monotonic() - started < 6
    assert holder.is_alive()
    # The same ad-hoc command twice: the second waits for the first (its own lock).
    job = LONG_JOB.format(token=f"{token}/run", sleep=2)
    first = _cli(inventory, tmp_path / "logs-a", "--limit", name, "--sudo", "--", job)
    _wait_for(lambda: bool(_journal(fleet, name, f"{token}/run")))
    second = _cli(inventory, tmp_path / "logs-b", "--limit", name, "--sudo", "--", job)
    assert first.wait(60) == 0 and second.wait(60) == 0
    spans = sorted(_journal(fleet, name, f"{token}/run").values())
    assert len(spans) == 2 and spans[0][1] <= spans[1][0], spans
    holder.join(60)
    assert boot["result"].status.succeeded, boot["result"]


def _run_json(inventory: Path, logs: Path, *args: str) -> tuple[dict[str, dict[str, Any]], str]:
    proc = _cli(inventory, logs, "--json", *args)
    out, err = proc.communicate(timeout=90)
    return {r["node"]: r for r in json.loads(out)["results"]}, err


def test_a_dropped_node_connection_is_not_a_signal(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    fleet, token = small_fleet, "drop"
    inventory = _inventory(fleet, tmp_path)
    node = fleet.node("node-0001")
    before = set(sshfleet.session_pids(node))

    def cut() -> None:
        _wait_for(lambda: bool(_pgids(fleet, node.name, token)))
        _kill(set(sshfleet.session_pids(node)) - before)

    cutter = threading.Thread(target=cut)
    cutter.start()
    results, err = _run_json(
        inventory,
        tmp_path / "logs",
        "--limit",
        node.name,
        "--",
        LONG_JOB.format(token=token, sleep=60),
    )
    cutter.join()
    r = results[node.name]
    assert (r["status"], r["error_category"]) == ("failed", "connection-lost"), r
    assert "dropped" in r["error_message"] and "signal" not in r["error_message"]
    assert "Traceback" not in err
    [group] = _pgids(fleet, node.name, token)
    _wait_for(lambda: not sshfleet.process_group_alive(group), timeout=10)


def test_a_lost_bastion_is_named_for_every_node_in_flight(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    fleet, token = small_fleet, "bastion"
    inventory = _inventory(fleet, tmp_path)
    before = set(sshfleet.session_pids(fleet.bastion))
    names = [d.name for d in fleet.nodes]

    def cut() -> None:
        _wait_for(lambda: all(_pgids(fleet, n, token) for n in names))
        _kill(set(sshfleet.session_pids(fleet.bastion)) - before)

    cutter = threading.Thread(target=cut)
    cutter.start()
    results, err = _run_json(
        inventory, tmp_path / "logs", "--", LONG_JOB.format(token=token, sleep=60)
    )
    cutter.join()
    for name in names:
        r = results[name]
        assert (r["status"], r["error_category"]) == ("failed", "bastion-lost"), r
        assert "bastion" in r["error_message"]
    assert "Traceback" not in err


def test_a_remote_signal_is_named_as_one(small_fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    inventory = _inventory(small_fleet, tmp_path)
    results, _ = _run_json(inventory, tmp_path / "logs", "--limit", "node-0002", "--", "kill -9 $$")
    r = results["node-0002"]
    assert (r["status"], r["error_category"]) == ("failed", "signal"), r
    assert "SIGKILL" in r["error_message"]


# Walks up from the job to the session's own process (the child of sshd: the login shell, or
# sudo under it) and sends it TERM, so the node-side supervisor dies with it and never reports.
KILL_LOGIN_SHELL = (
    "p=$$; while :; do read -r _ _ _ pp _ < /proc/$p/stat; read -r _ comm _ < /proc/$pp/stat; "
    '[ "$comm" = "(sshd)" ] && break; p=$pp; done; kill -TERM "$p"; sleep 5'
)


@pytest.mark.parametrize("sudo", [["--sudo"], []], ids=["sudo", "login-user"])
def test_a_killed_login_shell_is_named_by_its_signal(
    small_fleet: sshfleet.Fleet, tmp_path: Path, sudo: list[str]
) -> None:
    # sshd says "exit-signal TERM" instead of an exit status; paramiko drops that request.
    inventory = _inventory(small_fleet, tmp_path)
    results, err = _run_json(
        inventory, tmp_path / "logs", "--limit", "node-0002", *sudo, "--", KILL_LOGIN_SHELL
    )
    r = results["node-0002"]
    assert (r["status"], r["error_category"]) == ("failed", "signal"), r
    assert "remote shell was killed by SIGTERM" in r["error_message"], r
    assert r["exit_code"] == -1
    assert "Traceback" not in err


def test_a_hung_sshd_does_not_overrun_the_deadline(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    inventory = _inventory(small_fleet, tmp_path)
    node = small_fleet.node("node-0002")
    assert node.process is not None
    os.kill(node.process.pid, signal.SIGSTOP)  # accepts TCP (backlog), never says its banner
    try:
        results, err = _run_json(
            inventory, tmp_path / "logs", "--limit", node.name, "--deadline", "3", "--", "true"
        )
    finally:
        os.kill(node.process.pid, signal.SIGCONT)
    r = results[node.name]
    assert (r["status"], r["error_category"]) == ("unreachable", "timeout"), r["error_message"]
    # banner, key exchange and auth waits are cut to the deadline (they were 15 s each)
    assert r["duration"] < 3 + 2
    assert "Traceback" not in err


def test_a_broken_handshake_prints_no_traceback(
    small_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    address = small_fleet.nodes[0].address
    server = socket.socket()
    server.bind((address, 0))
    server.listen()

    def garbage() -> None:  # a banner, then bytes that are no SSH packet (every retry too)
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n" + b"\xff" * 64)
                    time.sleep(0.5)

    threading.Thread(target=garbage, daemon=True).start()
    fake = {"name": "fake-0001", "host": address, "port": server.getsockname()[1], "pool": "train"}
    inventory = _inventory(small_fleet, tmp_path, [fake])
    try:
        results, err = _run_json(inventory, tmp_path / "logs", "--limit", "fake-0001", "--", "true")
    finally:
        server.close()
    assert results["fake-0001"]["status"] == "unreachable"
    assert "Traceback" not in err and "paramiko" not in err, err
