from __future__ import annotations

import os
from pathlib import Path

import pytest

from cleaner.pipeline import Pipeline
from cleaner.rules.book import RuleBook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _at_root() -> None:
    # Output records carry input paths as given; run everything from the project root.
    os.chdir(ROOT)


@pytest.fixture(scope="session")
def book() -> RuleBook:
    return RuleBook.load([ROOT / "rules"])


@pytest.fixture(scope="session")
def pipeline(book: RuleBook) -> Pipeline:
    return Pipeline(book)
