"""Secrets reach hosts as scripts the runner pushes: installed atomically with mode and owner,
never printed; the installed munge key is one the real munged accepts; unsafe files refused."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.slurm.secrets import (
    MUNGE_KEY_MIN,
    SecretFileError,
    dbd_conf_with_password,
    read_secret,
    secret_script,
)

KEY = os.urandom(1024)


def run_script(root: Path, text: str) -> str:
    script = root / "push.sh"
    script.write_text(text)
    done = subprocess.run(["bash", str(script)], env={**os.environ, "GF_ROOT": str(root)},
                          capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return done.stdout + done.stderr


def start_munged(root: Path, key: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["munged", "--foreground", "--force", f"--key-file={key}", f"--socket={root}/sock",
         f"--pid-file={root}/pid", f"--log-file={root}/log", f"--seed-file={root}/seed"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("munged") is None, reason="munge not installed")
def test_munge_key_installed_once_never_printed_and_accepted_by_munged(tmp_path: Path) -> None:
    text = secret_script(("/etc/munge/munge.key", KEY, "munge:munge", "0400"))
    first = run_script(tmp_path, text)
    installed = tmp_path / "etc/munge/munge.key"
    assert first.startswith("installed /etc/munge/munge.key sha256:")
    assert installed.read_bytes() == KEY
    st = installed.stat()
    assert stat.S_IMODE(st.st_mode) == 0o400
    assert st.st_uid == int(subprocess.check_output(["id", "-u", "munge"]))
    assert run_script(tmp_path, text).startswith("unchanged ")
    assert not list((tmp_path / "etc/munge").glob(".gpufleet-secret.*"))
    assert base64.b64encode(KEY).decode()[:40] not in first
    proc = start_munged(tmp_path, installed)
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "sock").exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.1)
        assert (tmp_path / "sock").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.skipif(shutil.which("munged") is None, reason="munge not installed")
def test_short_keys_are_refused_here_as_munged_refuses_them(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_bytes(os.urandom(MUNGE_KEY_MIN - 1))
    short.chmod(0o400)
    with pytest.raises(SecretFileError, match="allowed 32"):
        read_secret(short, "munge key", min_len=MUNGE_KEY_MIN)
    proc = start_munged(tmp_path, short)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert b"at least 32 bytes" in out


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "munge.key"
    key.write_bytes(KEY)
    key.chmod(0o644)
    with pytest.raises(SecretFileError, match="chmod 0400"):
        read_secret(key, "munge key")


def test_db_password_becomes_one_storagepass_line() -> None:
    conf = dbd_conf_with_password("DbdPort=6819\n", b"s3cret-pass\n").decode()
    assert conf == "DbdPort=6819\nStoragePass=s3cret-pass\n"
    with pytest.raises(SecretFileError):
        dbd_conf_with_password("x\n", b'a"b')


def test_cli_refuses_an_unsafe_key_before_connecting(tmp_path: Path) -> None:
    inv = {"ssh": {"user": "opc", "known_hosts": str(tmp_path / "kh")},
           "nodes": [{"name": "h100-0001", "host": "10.0.0.1", "pool": "h100",
                      "shape": "BM.GPU.H100.8"}]}  # fmt: skip
    (tmp_path / "inventory.json").write_text(json.dumps(inv))
    key = tmp_path / "munge.key"
    key.write_bytes(KEY)
    key.chmod(0o640)
    result = CliRunner().invoke(cli, [
        "slurm", "push-secrets", "--inventory", str(tmp_path / "inventory.json"),
        "--munge-key", str(key), "--logs", str(tmp_path / "logs")])  # fmt: skip
    assert result.exit_code == 2
    assert "readable by others (mode 0640)" in result.output
    assert not (tmp_path / "logs").exists()
