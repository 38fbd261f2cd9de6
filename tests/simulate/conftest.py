"""A small simulated year, drawn once for the tests that read one."""

from __future__ import annotations

from pathlib import Path

import pytest

from stateline.simulate.generate import generate

SCALE = 0.01
SEED = 7


@pytest.fixture(scope="session")
def small_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year at scale 0.01 (2.9 million queries), written once per test session."""
    out = tmp_path_factory.mktemp("simulated") / "year"
    generate(out, year=2025, scale=SCALE, seed=SEED)
    return out
