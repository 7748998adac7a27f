"""Real recorded outputs for parser tests, vendored so a fresh clone needs nothing else.

Each file here is a verbatim copy of one in the project's shared fixture folder, kept with its
first `# SOURCE:` line naming where it was published. `SHA256SUMS` holds the digests of the
shared originals, taken when they were copied (`sha256sum` format); `test_copies.py` checks every
copy against it, so an edited copy fails without the suite ever reading outside the repository.
Never edit these files: derive a new case under `tests/facts/cases/` instead.
"""

from __future__ import annotations

from pathlib import Path

RECORDED: Path = Path(__file__).resolve().parent
MANIFEST: Path = RECORDED / "SHA256SUMS"
