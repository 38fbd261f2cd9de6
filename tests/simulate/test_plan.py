"""The calibration sums: published totals exact, states by licensed drivers, Washington's
federal queries as the UW report counted them."""

from __future__ import annotations

import numpy as np
import pytest

from stateline.simulate.mix import POOLS, PROFILES, Home
from stateline.simulate.plan import (
    driver_weights,
    largest_remainder,
    monthly_counts,
    national_year,
    washington_federal,
    yearly_counts,
)
from stateline.simulate.published import (
    AGENCIES,
    DMV_QUERIES,
    HSI_QUERIES,
    ICE_QUERIES,
    states,
    washington_federal_per_year,
)


def _profile(name: str) -> int:
    return [p.name for p in PROFILES].index(name)


def test_the_published_figures_and_the_states_file_are_the_ones_cited() -> None:
    rows = states()
    assert len(rows) == 51
    assert sum(s.licensed_drivers for s in rows) == 237_655_885
    assert sum(s.population for s in rows) == 341_784_857
    assert (ICE_QUERIES.value, HSI_QUERIES.value) == (292_114, 605_116)
    assert sum(p.queries for p in PROFILES) == DMV_QUERIES.value == 290_000_000
    assert sum(pool.agencies for pool in POOLS) == AGENCIES.value == 18_000


def test_the_national_year_keeps_both_margins() -> None:
    table = national_year()
    wanted = np.array([p.queries for p in PROFILES], dtype=np.float64)
    assert np.allclose(table.sum(axis=0), wanted, rtol=1e-9)
    by_drivers = driver_weights(states()) * DMV_QUERIES.value
    assert np.allclose(table.sum(axis=1), by_drivers, rtol=1e-6)


@pytest.mark.parametrize("scale", [0.01, 0.02, 1.0])
def test_counts_at_a_scale_match_the_published_figures_within_one_percent(scale: float) -> None:
    counts = yearly_counts(scale)
    assert abs(counts.sum() / (DMV_QUERIES.value * scale) - 1) < 0.01
    assert abs(counts[:, _profile("ice-ero")].sum() / (ICE_QUERIES.value * scale) - 1) < 0.01
    assert abs(counts[:, _profile("hsi")].sum() / (HSI_QUERIES.value * scale) - 1) < 0.01
    by_drivers = driver_weights(states()) * counts.sum()
    big = by_drivers > 20_000  # a state of fewer queries is off by rounding alone
    assert np.all(np.abs(counts.sum(axis=1)[big] / by_drivers[big] - 1) < 0.01)


def test_totals_scale_with_the_scale() -> None:
    small, double = yearly_counts(0.01), yearly_counts(0.02)
    assert abs(double.sum() - 2 * small.sum()) <= len(PROFILES)  # one rounding a profile
    assert np.all(np.abs(double.sum(axis=0) - 2 * small.sum(axis=0)) <= 1)


def test_washington_gets_the_federal_queries_the_uw_report_counted() -> None:
    federal = [p for p in PROFILES if p.home is Home.FEDERAL]
    assert {p.name for p in federal} == {"ice-ero", "hsi", "cbp", "other-federal"}
    assert abs(washington_federal() / washington_federal_per_year() - 1) < 0.01


def test_largest_remainder_is_exact_and_proportional() -> None:
    whole = largest_remainder(np.array([1.0, 1.0, 1.0]), 10)
    assert whole.sum() == 10 and sorted(whole.tolist()) == [3, 3, 4]
    assert largest_remainder(np.array([1.0, 3.0]), 0).tolist() == [0, 0]


def test_months_split_a_year_exactly() -> None:
    year = yearly_counts(0.01)[0]
    months = monthly_counts(year, 2025, np.random.default_rng(1))
    assert months.shape == (12, len(PROFILES))
    assert months.sum(axis=0).tolist() == year.tolist()
