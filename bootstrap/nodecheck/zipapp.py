"""Build the node-side checker as a deterministic zipapp: the same bytes on every render.

    >>> pyz = checker_pyz()                        # doctest: +SKIP
    >>> hashlib.sha256(pyz).hexdigest()[:12], len(pyz)  # doctest: +SKIP
    ('3f0c…', 44817)

The archive holds `bootstrap/nodecheck/checker.py` and exactly what it imports (`SOURCES`),
verbatim (tracebacks on a node show the real lines), plus empty ``__init__.py`` stubs for the
parent packages, so importing `bootstrap` or `infra` on the node never pulls in pulumi, pydantic
or paramiko. Entries are sorted, dated 1980-01-01, mode 0644, deflated at level 9; nothing
depends on the clock, the file system order or the user.

Size: about 45 KB (60 KB base64). It travels base64-embedded in bootstrap.sh (SSH push, no size
limit) but not in cloud-init user_data: OCI caps instance metadata at 32,000 bytes including the
ssh key, and the first-boot script already takes about half of that (see `bootstrap.render`).
"""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

# What the checker imports, relative to the folder holding the `bootstrap` and `infra` packages.
# A new import in any of these must be listed here (tests/nodecheck runs the pyz with -I -S, so a
# module missing from it fails there, not on a node).
SOURCES: tuple[str, ...] = (
    "bootstrap/facts/*.py",
    "bootstrap/health/checks/*.py",
    "bootstrap/health/findings.py",
    "bootstrap/health/node_facts.py",
    "bootstrap/nodecheck/checker.py",
    "infra/shapes.py",
)
# Parents whose real __init__.py is either absent (namespace package) or may import more than
# the checker needs: the zipapp gets an empty one.
STUB_PACKAGES: tuple[str, ...] = ("bootstrap", "bootstrap/health", "bootstrap/nodecheck", "infra")

# Runs on whatever python the node has, so it is written for any Python 3: refuse < 3.11
# (the shared modules use StrEnum and datetime.UTC) with an exit code the wrapper reports.
MAIN = b'''"""gpufleet node health checker (zipapp; source: bootstrap/nodecheck/checker.py)."""
import sys

if sys.version_info < (3, 11):
    sys.stderr.write("gpufleet-health: needs Python >= 3.11, not %s\\n" % sys.version.split()[0])
    sys.exit(3)

from bootstrap.nodecheck.checker import main

sys.exit(main())
'''

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def source_root() -> Path:
    """The folder that holds the `bootstrap` and `infra` packages (repo root when editable)."""
    return Path(__file__).resolve().parent.parent.parent


def entries(root: Path | None = None) -> dict[str, bytes]:
    """Archive name -> bytes, for every file the checker needs."""
    base = root or source_root()
    out: dict[str, bytes] = {"__main__.py": MAIN}
    for pkg in STUB_PACKAGES:
        out[f"{pkg}/__init__.py"] = b""
    for pattern in SOURCES:
        matches = sorted(base.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"node checker source {pattern!r} not found under {base}")
        for path in matches:
            name = path.relative_to(base).as_posix()
            if name not in out:  # a stub wins over the real __init__.py
                out[name] = path.read_bytes()
    return out


def build(files: dict[str, bytes]) -> bytes:
    """A zip of `files`, byte-identical for identical input."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # Unix, so the mode below is honoured
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=9)
    return buf.getvalue()


@functools.cache
def checker_pyz() -> bytes:
    """The checker zipapp (built once per process: every pool ships the same bytes)."""
    return build(entries())
