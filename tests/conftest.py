from __future__ import annotations

import pytest

from indicators import DEFAULT_CATALOGUE, load_catalogue
from scoring import Scorer


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(DEFAULT_CATALOGUE)


@pytest.fixture(scope="session")
def scorer(catalogue):
    return Scorer(catalogue)


@pytest.fixture(scope="session")
def catalogue_text() -> str:
    return DEFAULT_CATALOGUE.read_text(encoding="utf-8")
