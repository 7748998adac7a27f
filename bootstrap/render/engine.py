"""Render a pool's node bootstrap files, the manifest, and the cloud-init user_data."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from bootstrap.render.errors import RenderError, UserDataTooLarge
from bootstrap.render.jinja import render_text
from bootstrap.render.script import INSTALLED_PATH, render_script
from bootstrap.render.steps.nccl import nccl_conf_lines
from infra.config import Pool, StackConfig
from infra.shapes import CATALOG

# OCI: metadata + extendedMetadata together (user_data base64-encoded, ssh_authorized_keys
# included) are at most 32,000 bytes
# (docs.oracle.com/iaas/Content/Compute/Tasks/updatinginstancemetada.htm).
METADATA_CAP_BYTES = 32_000

FILES = ("bootstrap.sh", "cloud-init.yaml", "nccl.conf")


def first_boot_script(config: StackConfig, pool: Pool) -> str:
    """The bootstrap script cloud-init carries: bootstrap.sh without the health checker zipapp
    and without the comment lines of its code.

    The checker (about 60 KB base64, see `bootstrap.nodecheck.zipapp`) cannot fit OCI's
    32,000-byte metadata cap next to the script, so the first boot installs the health timer
    and leaves health.json saying "checker not yet installed" until `gpufleet bootstrap` pushes
    the full bootstrap.sh. (Fetching it from the shared file system instead would make health
    depend on an optional File Storage mount and on someone having put it there.)
    """
    return without_code_comments(render_script(config, pool, checker=False))


# Where the rendered data ends and the code (library, steps, main) begins.
CODE_MARK = "readonly EXIT_INTERNAL="


def without_code_comments(script: str) -> str:
    """The script with the comment-only lines of its code part dropped (about 3 KB): the
    first-boot copy must fit the metadata cap, and bash never reads comments. Only the code
    part: the data part holds file contents and unit texts, where a `#` line is data. Tests
    compare `declare -f` of both copies (tests/render/test_render_matrix.py)."""
    head, mark, code = script.partition(CODE_MARK)
    kept = [ln for ln in code.splitlines(keepends=True) if not ln.lstrip().startswith("#")]
    return head + mark + "".join(kept)


def render_pool(config: StackConfig, pool: Pool) -> dict[str, str]:
    """{filename: text} for one pool: bootstrap.sh, cloud-init.yaml, nccl.conf.

    bootstrap.sh (pushed over SSH) embeds the node health checker; the copy inside
    cloud-init.yaml is `first_boot_script`, which does not. Deterministic: the same config
    renders byte-identical files.
    """
    script = render_script(config, pool)
    shape = CATALOG[pool.shape]
    nccl_conf = render_text(
        "nccl.conf.j2", shape=shape.name, pool=pool.name, settings=nccl_conf_lines(shape)
    )
    return {
        "bootstrap.sh": script,
        "cloud-init.yaml": cloud_init(config, pool),
        "nccl.conf": nccl_conf,
    }


def cloud_init(config: StackConfig, pool: Pool) -> str:
    """The pool's cloud-init: writes and runs `first_boot_script` at first boot."""
    return render_text(
        "cloud-init.yaml.j2",
        pool=pool.name,
        shape=CATALOG[pool.shape].name,
        os=pool.os,
        script_path=INSTALLED_PATH,
        script=first_boot_script(config, pool),
    )


def pool_user_data(config: StackConfig, pool: Pool) -> str:
    """base64 user_data for one pool (renders only the cloud-init, not the full script)."""
    return user_data_for(config, cloud_init(config, pool), pool.name)


def _pool(config: StackConfig, name: str) -> Pool:
    for pool in config.pools:
        if pool.name == name:
            return pool
    raise RenderError(f"no pool named {name!r}")


def user_data_for(config: StackConfig, cloud_init: str, pool_name: str) -> str:
    """base64 user_data for one pool's cloud-init, gzip-compressed when plain text is too big.

    cloud-init recognises gzip-compressed user-data by its magic bytes.
    """
    key = len(config.ssh_public_key.encode())
    raw = cloud_init.encode()
    plain = base64.b64encode(raw).decode()
    if len(plain) + key <= METADATA_CAP_BYTES:
        return plain
    packed = base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()
    if len(packed) + key > METADATA_CAP_BYTES:
        raise UserDataTooLarge(
            f"pool {pool_name!r}: cloud-init is {len(packed)} bytes base64 even gzip-compressed "
            f"(+ {key} bytes of ssh key) > OCI's {METADATA_CAP_BYTES}-byte metadata cap; "
            "fix: shorten training.packages, or ship a stub that fetches the script from storage"
        )
    return packed


def user_data_b64(config: StackConfig) -> dict[str, str]:
    """{pool name: base64 user_data}, each guaranteed to fit OCI's metadata cap with the key.

    >>> sorted(user_data_b64(config))                        # doctest: +SKIP
    ['h100']
    """
    return {pool.name: pool_user_data(config, pool) for pool in config.pools}


def manifest(rendered: dict[str, dict[str, str]], user_data: dict[str, str]) -> dict[str, Any]:
    """Files with sha256 and size, plus each pool's user_data size; sorted, no timestamps."""
    files = {
        f"{pool}/{name}": {
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "bytes": len(text.encode()),
        }
        for pool, texts in sorted(rendered.items())
        for name, text in sorted(texts.items())
    }
    return {
        "files": files,
        "user_data": {
            pool: {"base64_bytes": len(ud), "gzip": ud.startswith("H4sI")}
            for pool, ud in sorted(user_data.items())
        },
        "metadata_cap_bytes": METADATA_CAP_BYTES,
    }


def render_all(config: StackConfig, out_dir: str | Path) -> dict[str, Any]:
    """Write OUT/<pool>/{bootstrap.sh,cloud-init.yaml,nccl.conf} and OUT/manifest.json.

    Every pool is rendered (and size-checked) before anything is written, so a failing pool
    leaves no half-written output. Returns the manifest.
    """
    out = Path(out_dir)
    rendered = {pool.name: render_pool(config, pool) for pool in config.pools}
    user_data = {
        name: user_data_for(config, texts["cloud-init.yaml"], name)
        for name, texts in rendered.items()
    }
    for pool_name, texts in rendered.items():
        folder = out / pool_name
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            path = folder / name
            path.write_text(text)
            path.chmod(0o755 if name.endswith(".sh") else 0o644)
    result = manifest(rendered, user_data)
    (out / "manifest.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result
