"""The published figures the simulated year is calibrated to, each with its source.

``states.csv`` beside this module is FHWA's licensed drivers and registered vehicles (Highway
Statistics 2023, tables DL-1C and MV-1) and the Census Bureau's 1 July 2025 population
(Vintage 2025, NST-EST2025-ALLDATA), one row per state and DC; ``SOURCES.md`` says where each
copy came from and what was checked. The Nlets figures are below, as published.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent

_PRESS_RELEASE = (
    "Sen. Ron Wyden and Rep. Adriano Espaillat, press release of 12 Nov 2025, 'Wyden, "
    "Espaillat and 38 Members of Congress Urge Democratic Governors to Block ICE from "
    "Accessing Americans' DMV Data' (figures 'according to Nlets'); also FedScoop, "
    "https://fedscoop.com/ice-database-drivers-license-registration-facial-recognition"
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One published figure: what it counts, its value, the period, where it was published."""

    name: str
    value: int
    period: str
    source: str
    status: str  # "confirmed": read in the publication; "secondary": read in news reports


DMV_QUERIES = Figure(
    "DMV queries carried by Nlets (federal and out-of-state requests)",
    290_000_000,
    "year to 1 Oct 2025",
    _PRESS_RELEASE + " ('over 290 million')",
    "confirmed",
)
ICE_QUERIES = Figure(
    "of which from ICE", 292_114, "year to 1 Oct 2025", _PRESS_RELEASE, "confirmed"
)
HSI_QUERIES = Figure(
    "of which from Homeland Security Investigations",
    605_116,
    "year to 1 Oct 2025",
    _PRESS_RELEASE,
    "confirmed",
)
AGENCIES = Figure(
    "agencies with access (federal, state, local, tribal, territorial; US and Canada)",
    18_000,
    "2025",
    _PRESS_RELEASE + " ('about 18,000')",
    "confirmed",
)
WASHINGTON_FEDERAL = Figure(
    "federal queries of Washington DOL data through ACCESS/Nlets",
    2_671_776,
    "1 Jan - 30 Nov 2025 (334 days)",
    "UW Center for Human Rights report of 8 Jan 2026, citing DOL data, as reported by The "
    "Urbanist, https://www.theurbanist.org/2026/01/12/uw-report-immigration-agents-still-"
    "accessing-wa-driver-data",
    "secondary",
)
WASHINGTON_DAYS = 334

FIGURES = (DMV_QUERIES, ICE_QUERIES, HSI_QUERIES, AGENCIES, WASHINGTON_FEDERAL)
"""Every published figure the simulator uses, in the order the docs list them."""


@dataclass(frozen=True, slots=True)
class State:
    """One row of ``states.csv``: a state (or DC) and its published counts."""

    code: str
    name: str
    licensed_drivers: int
    registered_vehicles: int
    population: int


@cache
def states() -> tuple[State, ...]:
    """The 50 states and DC, sorted by code, as ``states.csv`` gives them."""
    with (HERE / "states.csv").open(newline="") as handle:
        return tuple(
            State(
                row["code"],
                row["name"],
                int(row["licensed_drivers"]),
                int(row["registered_vehicles"]),
                int(row["population"]),
            )
            for row in csv.DictReader(handle)
        )


def washington_federal_per_year() -> float:
    """Washington's published federal queries, pro rata for a 365-day year."""
    return WASHINGTON_FEDERAL.value * 365 / WASHINGTON_DAYS
