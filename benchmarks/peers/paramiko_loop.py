"""Bare paramiko peer: a thread pool and one shared bastion transport, nothing else.

python paramiko_loop.py INVENTORY SCRIPT CONCURRENCY [supervised|tuned]  ->  {"ok": N, "nodes": M}

With `supervised`, each node runs exactly gpufleet's remote command (see remote_command.py).
`tuned` is `supervised` plus the per-connection cuts gpufleet makes to paramiko's defaults
(bootstrap/ssh/handshake.py), written out here again so the peer stays a bare loop: AES-GCM
first, no handshake timer thread, a 0.5 s reader poll, and closes that end the pending read.
"""

from __future__ import annotations

import json
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import paramiko

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_command import remote_command, supervised_command

inv = json.loads(Path(sys.argv[1]).read_text())
script = Path(sys.argv[2]).read_bytes()
concurrency = int(sys.argv[3])
same_as_gpufleet = sys.argv[4:] in (["supervised"], ["tuned"])
tuned = sys.argv[4:] == ["tuned"]
ssh = inv["ssh"]
key = paramiko.Ed25519Key.from_private_key_file(ssh["identity_file"])
host_keys = paramiko.HostKeys(ssh["known_hosts"])


class NoClose:
    def __init__(self, chan: paramiko.Channel) -> None:
        self.chan = chan

    def close(self) -> None:
        if tuned:
            self.chan.in_buffer.close()  # wake the reader, which now polls only every 0.5 s

    @property
    def _closed(self) -> bool:
        return bool(self.chan.closed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.chan, name)


class NoTimer:
    def cancel(self) -> None:
        pass


def handshake(sock: Any, host: str, port: int) -> paramiko.Transport:
    t = paramiko.Transport(sock)
    if tuned:
        sock.settimeout(0.5)
        t.packetizer._Packetizer__timer = NoTimer()  # type: ignore[attr-defined]
        options = t.get_security_options()
        gcm = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
        options.ciphers = gcm + tuple(c for c in options.ciphers if c not in gcm)
    t.start_client(timeout=15)
    k = t.get_remote_server_key()
    entry = host_keys.lookup(f"[{host}]:{port}")
    if not entry or entry[k.get_name()].asbytes() != k.asbytes():
        raise RuntimeError(f"host key mismatch for {host}")
    t.auth_publickey(ssh["user"], key)
    return t


b = ssh["bastion"]
bastion = handshake(socket.create_connection((b["host"], b["port"])), b["host"], b["port"])


def one(node: dict[str, Any]) -> bool:
    try:
        chan = bastion.open_channel("direct-tcpip", (node["host"], node["port"]), ("127.0.0.1", 0))
        t = handshake(NoClose(chan), node["host"], node["port"])
        s = t.open_session()
        s.set_combine_stderr(True)
        make = supervised_command if same_as_gpufleet else remote_command
        s.exec_command(make(node["name"], len(script)))
        s.sendall(script)
        if not same_as_gpufleet:  # the supervised job takes EOF as "the client is gone"
            s.shutdown_write()
        out = b""
        while chunk := s.recv(32768):
            out += chunk
        ok = s.recv_exit_status() == 0 and b'"status": "ok"' in out
        s.close()
        t.close()
        t.join()
        chan.close()
        return ok
    except Exception as exc:
        print(f"{node['name']}: {exc!r}", file=sys.stderr)
        return False


with ThreadPoolExecutor(concurrency) as pool:
    results = list(pool.map(one, inv["nodes"]))
bastion.close()
print(json.dumps({"ok": sum(results), "nodes": len(results)}))
