"""Host keys and client keys, without a daemon: known_hosts policy, key files, passphrases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import paramiko
import pytest

from bootstrap.ssh.errors import AuthError, ChangedHostKeyError, UnknownHostKeyError
from bootstrap.ssh.identity import PASSPHRASE_ENV, load_keys
from bootstrap.ssh.known_hosts import KnownHosts


def _keygen(path: Path, kind: str, passphrase: str = "") -> Path:
    extra = ["-b", "3072"] if kind == "rsa" else []
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, *extra, "-N", passphrase, "-f", str(path)], check=True
    )
    return path


@pytest.fixture
def host_key(tmp_path: Path) -> paramiko.PKey:
    return paramiko.PKey.from_path(_keygen(tmp_path / "host", "ed25519"))


def test_strict_refuses_an_unknown_host(tmp_path: Path, host_key: paramiko.PKey) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    with pytest.raises(UnknownHostKeyError) as err:
        known.verify("gpu-1", "10.0.0.1", 22, host_key)
    assert err.value.category == "host-key" and not err.value.retryable
    assert "--accept-new-host-keys" in str(err.value)
    assert not (tmp_path / "known_hosts").exists()


def test_accept_new_records_the_key_as_openssh_does(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    KnownHosts(path, accept_new=True).verify("gpu-1", "10.0.0.1", 2222, host_key)
    assert path.read_text() == f"[10.0.0.1]:2222 ssh-ed25519 {host_key.get_base64()}\n"
    assert path.stat().st_mode & 0o777 == 0o600
    KnownHosts(path).verify("gpu-1", "10.0.0.1", 2222, host_key)  # now known, strict is fine
    check = subprocess.run(
        ["ssh-keygen", "-F", "[10.0.0.1]:2222", "-f", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0  # OpenSSH reads what we wrote


def test_a_changed_key_is_refused_even_in_accept_new(
    tmp_path: Path, host_key: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.1 ssh-ed25519 {host_key.get_base64()}\n")
    other = paramiko.PKey.from_path(_keygen(tmp_path / "other", "ed25519"))
    with pytest.raises(ChangedHostKeyError) as err:
        KnownHosts(path, accept_new=True).verify("gpu-1", "10.0.0.1", 22, other)
    assert f"ssh-keygen -R 10.0.0.1 -f {path}" in str(err.value)
    assert "nothing was run" in str(err.value)
    assert path.read_text().count("\n") == 1


def test_hashed_known_hosts_entries_are_understood(tmp_path: Path, host_key: paramiko.PKey) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.9 ssh-ed25519 {host_key.get_base64()}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], check=True, capture_output=True)
    assert "10.0.0.9" not in path.read_text()
    KnownHosts(path).verify("gpu-9", "10.0.0.9", 22, host_key)


def test_comma_lists_markers_and_damaged_lines(tmp_path: Path, host_key: paramiko.PKey) -> None:
    other = paramiko.PKey.from_path(_keygen(tmp_path / "other", "ed25519"))
    path = tmp_path / "known_hosts"
    path.write_text(
        "# a comment\n"
        f"@revoked 10.0.0.3 ssh-ed25519 {other.get_base64()}\n"
        "10.0.0.4 ssh-ed25519 not*base64\n"
        f"10.0.0.2,[10.0.0.3]:2222 ssh-ed25519 {host_key.get_base64()}\n"
    )
    known = KnownHosts(path)
    known.verify("a", "10.0.0.2", 22, host_key)
    known.verify("b", "10.0.0.3", 2222, host_key)
    assert known.known_types("10.0.0.3", 22) == []  # the marker line is no entry
    with pytest.raises(UnknownHostKeyError):
        known.verify("c", "10.0.0.4", 22, host_key)  # a damaged line is no key
    with pytest.raises(ChangedHostKeyError):
        known.verify("b", "10.0.0.3", 2222, other)


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_key_files_of_each_type_load(tmp_path: Path, kind: str) -> None:
    (key,) = load_keys(_keygen(tmp_path / "id", kind))
    assert key.can_sign()


def test_passphrase_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _keygen(tmp_path / "id", "ed25519", passphrase="s3cret")
    monkeypatch.setenv(PASSPHRASE_ENV, "s3cret")
    (key,) = load_keys(path)
    assert key.can_sign()
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(AuthError):
        load_keys(path)


def test_encrypted_key_without_passphrase_or_terminal_explains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _keygen(tmp_path / "id", "ed25519", passphrase="s3cret")
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(AuthError) as err:
        load_keys(path)
    assert PASSPHRASE_ENV in str(err.value) and "ssh-agent" in str(err.value)
    (key,) = load_keys(path, prompt=lambda _: "s3cret")
    assert key.can_sign()


def test_missing_key_file_and_missing_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AuthError, match="does not exist"):
        load_keys(tmp_path / "nope")
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with pytest.raises(AuthError, match="SSH_AUTH_SOCK"):
        load_keys(None)


def test_keys_from_ssh_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, check=True)
    env = dict(
        line.split(";")[0].split("=", 1)
        for line in agent.stdout.splitlines()
        if line.startswith("SSH_")
    )
    try:
        monkeypatch.setenv("SSH_AUTH_SOCK", env["SSH_AUTH_SOCK"])
        key_path = _keygen(tmp_path / "id", "ed25519")
        subprocess.run(["ssh-add", str(key_path)], check=True, capture_output=True)
        (key,) = load_keys(None)
        assert key.asbytes() == paramiko.PKey.from_path(key_path).asbytes()
    finally:
        subprocess.run(["kill", env["SSH_AGENT_PID"]], check=False)
