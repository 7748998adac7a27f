"""Helpers for fact tests: real recorded fixtures (tests/recorded) and our derived cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.facts.base import strip_provenance
from tests.recorded import RECORDED as SHARED_FIXTURES

CASES = Path(__file__).resolve().parent / "cases"


def fixture_text(name: str) -> str:
    """A real recorded output from tests/recorded, with its `# SOURCE:` line stripped."""
    path = SHARED_FIXTURES / name
    if not path.is_file():
        pytest.fail(f"recorded fixture {path} missing: vendor it into tests/recorded/")
    return strip_provenance(path.read_text(encoding="utf-8"))


def case_text(name: str) -> str:
    """One of our derived/hand-written cases (tests/facts/cases), provenance line stripped.

    Read with errors="replace" so garbage bytes reach the parser as they would from a runner.
    """
    raw = (CASES / name).read_bytes().decode("utf-8", errors="replace")
    return strip_provenance(raw)


@pytest.fixture(name="fixture_text")
def _fixture_text() -> object:
    return fixture_text


@pytest.fixture(name="case_text")
def _case_text() -> object:
    return case_text


@pytest.fixture(name="case_path")
def _case_path() -> object:
    return lambda name: CASES / name


@pytest.fixture(name="fixture_path")
def _fixture_path() -> object:
    def get(name: str) -> Path:
        path = SHARED_FIXTURES / name
        if not path.is_file():
            pytest.fail(f"recorded fixture {path} missing: vendor it into tests/recorded/")
        return path

    return get
