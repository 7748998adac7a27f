"""The vendored recordings are byte-identical to the shared fixtures they copy."""

from __future__ import annotations

import pytest

from tests.recorded import SHARED, VENDORED


@pytest.mark.parametrize(
    "path",
    sorted(p for p in VENDORED.iterdir() if p.suffix in (".txt", ".json")),
    ids=lambda p: p.name,
)
@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared/fixtures beside the checkout")
def test_copy_is_verbatim(path) -> None:
    assert path.read_bytes() == (SHARED / path.name).read_bytes()
