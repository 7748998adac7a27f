"""Bare asyncssh peer: one bastion connection, a semaphore, one tunnelled connection per node.

python asyncssh_loop.py INVENTORY SCRIPT CONCURRENCY   ->   {"ok": N, "nodes": M}
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import asyncssh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_command import remote_command

inv = json.loads(Path(sys.argv[1]).read_text())
script = Path(sys.argv[2]).read_bytes()
concurrency = int(sys.argv[3])
ssh = inv["ssh"]
key = asyncssh.read_private_key(ssh["identity_file"])
known = asyncssh.read_known_hosts(ssh["known_hosts"])


async def main() -> None:
    b = ssh["bastion"]
    async with asyncssh.connect(
        b["host"], b["port"], username=ssh["user"], client_keys=[key], known_hosts=known
    ) as bastion:
        gate = asyncio.Semaphore(concurrency)

        async def one(node: dict[str, Any]) -> bool:
            async with gate:
                try:
                    async with asyncssh.connect(
                        node["host"],
                        node["port"],
                        tunnel=bastion,
                        username=ssh["user"],
                        client_keys=[key],
                        known_hosts=known,
                    ) as conn:
                        r = await conn.run(
                            remote_command(node["name"], len(script)), input=script, encoding=None
                        )
                        return r.exit_status == 0 and b'"status": "ok"' in (r.stdout or b"")
                except Exception as exc:
                    print(f"{node['name']}: {exc!r}", file=sys.stderr)
                    return False

        results = await asyncio.gather(*(one(n) for n in inv["nodes"]))
    print(json.dumps({"ok": sum(results), "nodes": len(results)}))


asyncio.run(main())
