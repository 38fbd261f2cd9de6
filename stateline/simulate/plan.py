"""How many queries each state receives from each profile in each month: the calibration sums.

Two sets of margins hold at once. Each profile's national year is the published figure (ICE,
HSI, the 290 million in all) or the modelling choice in ``mix.py``; each state's year is its
share of the nation's licensed drivers. Iterative proportional fitting finds the table between
them from a seed in which every profile asks states by their drivers, CBP four times more where
there is a land border. Rounding keeps each profile's total exact at any scale, so the
published counts come out to the query, and states within a few queries of their share.
"""

from __future__ import annotations

import calendar
from datetime import date

import numpy as np
from numpy.typing import NDArray

from stateline.simulate.mix import LAND_BORDER, MONTHS, PROFILES, Home, Profile
from stateline.simulate.published import State, states

_FIT_ROUNDS = 200


def driver_weights(rows: tuple[State, ...]) -> NDArray[np.float64]:
    """Each state's share of the nation's licensed drivers."""
    drivers = np.array([s.licensed_drivers for s in rows], dtype=np.float64)
    return np.asarray(drivers / drivers.sum(), dtype=np.float64)


def _seed(profile: Profile, rows: tuple[State, ...]) -> NDArray[np.float64]:
    border = np.array([profile.border if s.code in LAND_BORDER else 1.0 for s in rows])
    return np.asarray(driver_weights(rows) * border, dtype=np.float64)


def national_year(rows: tuple[State, ...] | None = None) -> NDArray[np.float64]:
    """Queries a year by state (rows) and profile (columns), before scaling and rounding."""
    rows = rows or states()
    seed = np.stack([_seed(p, rows) for p in PROFILES], axis=1)
    wanted_profiles = np.array([p.queries for p in PROFILES], dtype=np.float64)
    wanted_states = driver_weights(rows) * wanted_profiles.sum()
    table = seed * (wanted_profiles / seed.sum(axis=0))
    for _ in range(_FIT_ROUNDS):
        table *= (wanted_states / table.sum(axis=1))[:, None]
        table *= (wanted_profiles / table.sum(axis=0))[None, :]
    return np.asarray(table, dtype=np.float64)


def largest_remainder(shares: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """Whole numbers proportional to ``shares`` that add up to exactly ``total``."""
    if total <= 0 or shares.sum() <= 0:
        return np.zeros(len(shares), dtype=np.int64)
    exact = shares / shares.sum() * total
    whole = np.floor(exact).astype(np.int64)
    short = total - int(whole.sum())
    if short:
        order = np.argsort(-(exact - whole), kind="stable")
        whole[order[:short]] += 1
    return np.asarray(whole, dtype=np.int64)


def profile_total(profile: Profile, scale: float) -> int:
    """A profile's queries in a year at ``scale``."""
    return round(profile.queries * scale)


def yearly_counts(scale: float) -> NDArray[np.int64]:
    """Queries a year by state and profile at ``scale``; each profile's column is exact."""
    table = national_year()
    return np.stack(
        [largest_remainder(table[:, i], profile_total(p, scale)) for i, p in enumerate(PROFILES)],
        axis=1,
    )


def month_weights(year: int) -> NDArray[np.float64]:
    """Each month's share of the year: its days times the month's factor."""
    days = np.array([calendar.monthrange(year, m)[1] for m in range(1, 13)], dtype=np.float64)
    weights = days * np.array(MONTHS)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def monthly_counts(
    year_count: NDArray[np.int64], year: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """One state's year by profile split into months (rows: months, columns: profiles)."""
    weights = month_weights(year)
    return np.stack([rng.multinomial(int(n), weights) for n in year_count], axis=1)


def washington_federal(scale: float = 1.0) -> int:
    """The federal queries the plan sends Washington in a year, to set beside the published."""
    codes = [s.code for s in states()]
    federal = [i for i, p in enumerate(PROFILES) if p.home is Home.FEDERAL]
    return int(yearly_counts(scale)[codes.index("WA"), federal].sum())


def first_day(year: int, month: int) -> date:
    return date(year, month, 1)
