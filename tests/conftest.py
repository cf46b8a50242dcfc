"""Shared fixtures: where the public corpus is, and a runner for the real `dwsep` CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DWSEP_CORPUS", REPO.parent / "shared" / "corpus"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def corpus_or_skip() -> Path:
    if not (CORPUS / "expected").is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (set DWSEP_CORPUS to its directory)")
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return corpus_or_skip()
