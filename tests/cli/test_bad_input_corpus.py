"""Every bad input, through the real `gpufleet` CLI: exit 2, one clear message, no traceback,
nothing written.

Each case builds its files in a fresh working folder (the CLI runs there), runs one command
and checks: the exit code is 2; the output holds the expected words (the file and what is
wrong); no Python traceback; and the folder is byte-for-byte what it was before (no logs, no
rendered files, no half-written inventory). The inputs are the ones that once crashed or
slipped through (issue 13): alias bombs, non-UTF-8, binary, deep nesting, names with a
trailing newline, hosts that could inject a known_hosts line, system mount points, `nan`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bootstrap.cli import cli
from tests.hostile_inputs import DEEP_JSON, billion_laughs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())

# A syntactically fine inventory that reaches nothing: port 9 on loopback, never contacted
# because every case fails before the first connection.
GOOD_NODE = {
    "name": "train-0001",
    "host": "127.0.0.1",
    "port": 9,
    "pool": "train",
    "shape": "BM.GPU.H100.8",
}


def inventory(**changes: Any) -> dict[str, Any]:
    ssh = {"user": "opc", "identity_file": "id_ed25519", "known_hosts": "known_hosts"}
    doc: dict[str, Any] = {"ssh": ssh, "nodes": [dict(GOOD_NODE)]}
    for key, value in changes.items():
        if key == "node":
            doc["nodes"][0].update(value)
        elif key == "node_drop":
            del doc["nodes"][0][value]
        elif key == "ssh" and value is not None:
            ssh.update(value)
        else:
            doc[key] = value
    return doc


def stack(**config: Any) -> str:
    doc = json.loads(json.dumps(EXAMPLE))
    doc["config"].update(config)
    return yaml.safe_dump(doc, sort_keys=False)


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes | dict[str, Any] | None]  # None: a folder
    argv: list[str]
    expect: str  # words the one message must contain


INJECTED = ("10.0.0.2 ssh-ed25519", "10.0.1.99", ")", ": pool names")
RUN = ["run", "--inventory", "inventory.json", "--logs", "logs", "--", "true"]
BOOTSTRAP = ["bootstrap", "--inventory", "inventory.json", "--script", "s.sh", "--logs", "logs"]
HEALTH = ["health", "--inventory", "inventory.json", "--logs", "logs", "--report", "h.json"]
EXPORT = ["inventory", "--inventory", "inventory.json", "--ansible", "hosts.yaml"]
FROM_OUTPUTS = ["inventory", "--from-stack-output", "outputs.json", "--out", "inv.json"]
KEYS = {"id_ed25519": "not really a key\n", "known_hosts": "", "s.sh": "true\n"}


def inv_case(id: str, doc: Any, expect: str, argv: list[str] = RUN, **files: Any) -> Case:
    text = doc if isinstance(doc, str | bytes) else json.dumps(doc)
    return Case(id, {**KEYS, "inventory.json": text, **files}, argv, expect)


def stack_case(id: str, text: str | bytes, expect: str, command: str = "validate") -> Case:
    argv = [command, "--stack-config", "Pulumi.prod.yaml"]
    if command == "render":
        argv += ["--out", "rendered"]
    return Case(id, {"Pulumi.prod.yaml": text}, argv, expect)


CASES = [
    # --- stack config: hostile documents, through validate, plan and render -----------------
    stack_case(
        "stack-alias-bomb-validate", billion_laughs("gpufleet:tags"), "aliases expand to more than"
    ),
    stack_case("stack-alias-bomb-plan", billion_laughs("gpufleet:tags"), "aliases expand", "plan"),
    stack_case(
        "stack-alias-bomb-render", billion_laughs("gpufleet:tags"), "aliases expand", "render"
    ),
    stack_case(
        "stack-latin-1",
        "config:\n  gpufleet:cluster_name: d\xe9v\n".encode("latin-1"),
        "not UTF-8 text",
    ),
    stack_case("stack-binary", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", "NUL bytes"),
    stack_case("stack-deep", "config: " + "[" * 5000 + "]" * 5000, "nested deeper than"),
    stack_case("stack-deep-plan", "config: " + "[" * 5000 + "]" * 5000, "nested", "plan"),
    stack_case("stack-oversized", "# " + "x" * (2 << 20) + "\n", "larger than"),
    stack_case("stack-duplicate-key", "config:\n  a: 1\n  a: 2\n", "'a' is written twice"),
    stack_case(
        "stack-control-char", "config:\n  gpufleet:cluster_name: \x1b[2J\n", "control character"
    ),
    stack_case(
        "stack-name-trailing-newline",
        stack(**{"gpufleet:cluster_name": "dev\n"}),
        "gpufleet:cluster_name",
    ),
    stack_case(
        "stack-pool-name-trailing-newline",
        stack(**{"gpufleet:pools": [{**EXAMPLE["config"]["gpufleet:pools"][0], "name": "h\n"}]}),
        "gpufleet:pools[0].name",
    ),
    *[
        stack_case(
            f"stack-mount-{path.replace('/', '_').strip() or 'slash'}",
            stack(**{"gpufleet:storage": {"file_system": {"mount_path": path}}}),
            "gpufleet:storage.file_system.mount_path",
            "render",
        )
        for path in (
            "/",
            "/etc",
            "/usr",
            "/boot",
            "/proc",
            "/sys",
            "/dev",
            "/var/lib/nfs",
            "/root",
            "/home",
            "/mnt/../etc",
            "/etc\n",
        )
    ],
    Case(
        "stack-is-a-folder",
        {"Pulumi.prod.yaml": None},
        ["validate", "--stack-config", "Pulumi.prod.yaml"],
        "Pulumi.prod.yaml",
    ),
    Case("stack-missing", {}, ["plan", "--stack-config", "Pulumi.nope.yaml"], "Pulumi.nope.yaml"),
    # --- inventory: hostile documents --------------------------------------------------------
    inv_case("inv-not-json", "{nodes: []}", "inventory.json: the inventory is not valid JSON"),
    inv_case("inv-binary", b"\x1f\x8b\x08\0\0\0\0\0", "NUL bytes", HEALTH),
    inv_case("inv-latin-1", '{"ssh": {"user": "\xe9"}}'.encode("latin-1"), "not UTF-8", RUN),
    inv_case("inv-deep", DEEP_JSON, "nested deeper than", RUN),
    inv_case("inv-deep-export", DEEP_JSON, "nested deeper than", EXPORT),
    inv_case("inv-deep-bootstrap", DEEP_JSON, "nested deeper than", BOOTSTRAP),
    inv_case("inv-is-a-folder", "", "is a directory", EXPORT, **{"inventory.json": None}),
    # --- inventory: shape ---------------------------------------------------------------------
    inv_case("inv-top-list", [], "must be a JSON object with 'ssh' and 'nodes'"),
    inv_case("inv-no-ssh", inventory(ssh=None), "field 'ssh'"),
    inv_case("inv-no-nodes", inventory(nodes=[]), "field 'nodes': must be a non-empty list"),
    inv_case("inv-node-no-host", inventory(node_drop="host"), "field 'host': is required"),
    inv_case("inv-node-no-pool", inventory(node_drop="pool"), "field 'pool': is required"),
    inv_case("inv-ssh-no-user", inventory(ssh={"user": None}), "field 'user'"),
    inv_case("inv-nodes-object", inventory(nodes={"a": 1}), "field 'nodes'"),
    inv_case("inv-port-string", inventory(node={"port": "22"}), "field 'port'"),
    inv_case("inv-port-0", inventory(node={"port": 0}), "1-65535, got 0", HEALTH),
    inv_case("inv-port-70000", inventory(node={"port": 70000}), "1-65535, got 70000", BOOTSTRAP),
    inv_case("inv-port-bool", inventory(node={"port": True}), "1-65535, got true"),
    inv_case("inv-name-int", inventory(node={"name": 7}), "field 'name'"),
    inv_case(
        "inv-duplicate-names",
        inventory(nodes=[GOOD_NODE, {**GOOD_NODE, "host": "127.0.0.2"}]),
        "duplicate of nodes[0]",
        EXPORT,
    ),
    inv_case("inv-unknown-field", inventory(node={"hostname": "x"}), "unknown field"),
    inv_case("inv-name-newline", inventory(node={"name": "train-0001\n"}), "field 'name'"),
    inv_case("inv-pool-newline", inventory(node={"pool": "train\n"}), "field 'pool'", EXPORT),
    inv_case(
        "inv-pools-key-newline",
        inventory(pools={"train\n": {"nodes_requested": 1}}),
        "pool names are",
        EXPORT,
    ),
    inv_case(
        "inv-host-newline-known-hosts-injection",
        inventory(node={"host": "10.0.0.1\n10.0.0.2 ssh-ed25519 AAAA"}),
        "field 'host': must be an IPv4 or IPv6 address or a DNS host name",
        [*RUN[:-2], "--accept-new-host-keys", "--", "true"],
    ),
    inv_case(
        "inv-host-space", inventory(node={"host": "10.0.0.1 -oProxyCommand=x"}), "field 'host'"
    ),
    inv_case("inv-host-user-at", inventory(node={"host": "root@10.0.0.1"}), "field 'host'"),
    inv_case("inv-host-with-port", inventory(node={"host": "10.0.0.1:22"}), "field 'host'"),
    inv_case(
        "inv-bastion-host-newline",
        inventory(ssh={"bastion": {"host": "203.0.113.10\n"}}),
        "ssh.bastion: field 'host'",
    ),
    inv_case("inv-user-dash", inventory(ssh={"user": "-oProxyCommand=x"}), "field 'user'"),
    inv_case("inv-node-user-newline", inventory(node={"user": "opc\n"}), "field 'user'"),
    inv_case("inv-shape-newline", inventory(node={"shape": "BM.GPU.H100.8\n"}), "field 'shape'"),
    # --- files the inventory points at ---------------------------------------------------------
    inv_case("inv-key-missing", inventory(ssh={"identity_file": "nope"}), "nope does not exist"),
    inv_case(
        "inv-key-is-a-folder",
        inventory(ssh={"identity_file": "keys"}),
        "work/keys is a directory; point ssh.identity_file",
        RUN,
        keys=None,
    ),
    inv_case(
        "inv-known-hosts-missing",
        inventory(ssh={"known_hosts": "nope_known_hosts"}),
        "--accept-new-host-keys",
        HEALTH,
    ),
    inv_case(
        "inv-known-hosts-is-a-folder",
        inventory(ssh={"known_hosts": "kh"}),
        "work/kh is a directory; point ssh.known_hosts",
        [*RUN[:-2], "--accept-new-host-keys", "--", "true"],
        kh=None,
    ),
    # --- numbers on the command line --------------------------------------------------------------
    *[
        inv_case(
            f"deadline-{value}",
            inventory(),
            "--deadline",
            [*RUN[:-2], "--deadline", value, "--", "true"],
        )
        for value in ("nan", "inf", "-1", "0")
    ],
    inv_case(
        "connect-timeout-nan",
        inventory(),
        "--connect-timeout",
        [*RUN[:-2], "--connect-timeout", "nan", "--", "true"],
    ),
    inv_case(
        "max-fail-percent-nan",
        inventory(),
        "--max-fail-percent",
        [*BOOTSTRAP, "--max-fail-percent", "nan"],
    ),
    # --- other inputs: stack outputs, previews, quarantine and health files ---------------------
    Case("outputs-deep", {"outputs.json": DEEP_JSON}, FROM_OUTPUTS, "nested deeper than"),
    Case(
        "outputs-ip-newline",
        {
            "outputs.json": json.dumps(
                {
                    "bastion_public_ip": "203.0.113.10",
                    "ssh_user": "opc",
                    "pools": {
                        "train": {
                            "shape": "BM.GPU.H100.8",
                            "nodes": [
                                {
                                    "name": "train-0001",
                                    "private_ip": "10.0.1.17\n10.0.1.99 ssh-ed25519 AAAA",
                                }
                            ],
                        }
                    },
                }
            )
        },
        FROM_OUTPUTS,
        "field 'host': must be an IPv4 or IPv6 address",
    ),
    Case("outputs-binary", {"outputs.json": b"\0\0"}, FROM_OUTPUTS, "NUL bytes"),
    Case("preview-deep", {"p.json": DEEP_JSON}, ["review", "p.json"], "nested deeper than"),
    Case("preview-latin-1", {"p.json": b'{"steps": "\xff"}'}, ["review", "p.json"], "not UTF-8"),
    inv_case(
        "results-file-deep",
        inventory(),
        "nested deeper than",
        [*BOOTSTRAP, "--retry-failed", "20261206-000000-beef"],
        **{
            "logs": None,
            "logs/20261206-000000-beef": None,
            "logs/20261206-000000-beef/results.json": DEEP_JSON,
        },
    ),
    inv_case(
        "quarantine-deep",
        inventory(),
        "nested deeper than",
        [*EXPORT, "--quarantine-file", "q.json"],
        **{"q.json": DEEP_JSON},
    ),
    inv_case(
        "health-file-deep",
        inventory(),
        "nested deeper than",
        ["inventory", "--inventory", "inventory.json", "--hostfile", "hosts", "--health", "h.json"],
        **{"h.json": DEEP_JSON},
    ),
]


def snapshot(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def write_files(folder: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.fixture
def in_fresh_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Case], Any]:
    def run(case: Case) -> Any:
        work = tmp_path / "work"
        work.mkdir()
        write_files(work, case.files)
        monkeypatch.chdir(work)
        before = snapshot(work)
        result = CliRunner().invoke(cli, case.argv, catch_exceptions=True)
        return result, before, snapshot(work)

    return run


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_exit_2_with_one_clear_message(
    case: Case, in_fresh_folder: Callable[[Case], Any]
) -> None:
    result, before, after = in_fresh_folder(case)
    output = result.output
    assert result.exit_code == 2, (result.exit_code, output, result.exception)
    # Exit 2 from click itself or sys.exit; never an exception that escaped the command.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in output
    assert case.expect in output, output
    assert len(output) < 2000, output  # one message, not a dump
    # Bad values are shown quoted, so a newline in one never starts a line of its own.
    assert not any(line.startswith(INJECTED) for line in output.splitlines()), output
    assert after == before, "the command wrote something"


def test_corpus_covers_every_file_reading_command() -> None:
    commands = {c.argv[0] for c in CASES}
    assert commands >= {
        "validate",
        "plan",
        "render",
        "run",
        "bootstrap",
        "health",
        "inventory",
        "review",
    }
