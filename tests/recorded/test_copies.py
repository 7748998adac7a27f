"""The vendored recordings are byte-identical to the shared originals (digests in SHA256SUMS)."""

from __future__ import annotations

import hashlib

import pytest

from tests.recorded import MANIFEST, RECORDED


def _manifest() -> dict[str, str]:
    rows = (line.split(maxsplit=1) for line in MANIFEST.read_text().splitlines() if line)
    return {name.strip(): digest for digest, name in rows}


def test_manifest_lists_every_copy() -> None:
    copies = {p.name for p in RECORDED.iterdir() if p.suffix in (".txt", ".json")}
    assert copies == set(_manifest())


@pytest.mark.parametrize("name", sorted(_manifest()))
def test_copy_is_verbatim(name: str) -> None:
    digest = hashlib.sha256((RECORDED / name).read_bytes()).hexdigest()
    assert digest == _manifest()[name], f"{name} differs from the shared original it copies"
