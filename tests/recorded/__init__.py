"""Real recorded outputs for parser tests.

The project's shared fixture folder (`../shared/fixtures` beside the checkout) is the
reference; this folder holds verbatim copies of the files the tests use, so a CI checkout
without `shared/` still runs every parser test against real recordings. Never edit them: each
keeps its first `# SOURCE:` line naming where it was published (see ../shared/fixtures/README.md).
"""

from __future__ import annotations

from pathlib import Path

_SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
_VENDORED = Path(__file__).resolve().parent

# Prefer the shared folder when present; the copies here are byte-identical (a test checks).
RECORDED: Path = _SHARED if _SHARED.is_dir() else _VENDORED
VENDORED: Path = _VENDORED
SHARED: Path = _SHARED
