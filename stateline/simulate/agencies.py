"""The simulated directory: 18,000 synthetic ORIs, laid out so that a query draws one in O(1).

Each pool of ``mix.POOLS`` spreads its agencies over the states by licensed drivers (at least
one in each state); federal pools sit in Washington, home ``US``. The agencies of one pool and
one home state are consecutive, so a query picks its agency by a pool, a home and one uniform
number: low numbers are drawn more often (``SKEW``), as a few big departments send most of a
state's queries. ORIs are ``<state><5 digits><2-digit type code>``, federal ones
``DC<stem><4 digits>``: invented in the shape of the real thing, naming no real agency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray

from stateline.directory.model import FEDERAL, AgencyType
from stateline.simulate.mix import POOLS
from stateline.simulate.plan import largest_remainder
from stateline.simulate.published import states

SKEW = 2.0
"""An agency's draw is ``floor(count * u ** SKEW)``: the first of 1,000 gets about 3%."""

_TYPE_CODES = {
    AgencyType.PD: "00",
    AgencyType.SO: "10",
    AgencyType.LE: "20",
    AgencyType.SA: "30",
    AgencyType.JA: "40",
    AgencyType.JC: "50",
    AgencyType.JG: "60",
    AgencyType.JJ: "70",
    AgencyType.NJ: "80",
}


@dataclass(frozen=True, slots=True)
class Directory:
    """The agencies, one entry per index, and where each pool's agencies of each home start.

    ``homes`` lists the home codes (the states, then ``US``); ``start[pool, home]`` and
    ``count[pool, home]`` give the block of agency indexes of that pool and home.
    """

    oris: list[str]
    names: list[str]
    types: list[str]
    home_states: list[str]
    missions: list[str]  # sorted, comma-separated
    pools: list[str]
    certified: NDArray[np.bool_]
    homes: tuple[str, ...]
    start: NDArray[np.int64]
    count: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.oris)

    def table(self) -> pa.Table:
        """The directory as the ``agencies.parquet`` of a simulated year."""
        return pa.table(
            {
                "ori": self.oris,
                "name": self.names,
                "agency_type": self.types,
                "home_state": self.home_states,
                "missions": self.missions,
                "pool": self.pools,
                "certified": self.certified,
            }
        )


def build_directory(seed: int) -> Directory:
    """The directory of a simulated year; the same ``seed`` always gives the same one."""
    rows = states()
    codes = [s.code for s in rows]
    names = {s.code: s.name for s in rows}
    homes = (*codes, FEDERAL)
    drivers = np.array([s.licensed_drivers for s in rows], dtype=np.float64)
    rng = np.random.default_rng([seed, 0xA6E])
    out: dict[str, list[str]] = {k: [] for k in ("ori", "name", "type", "home", "mission", "pool")}
    certified: list[NDArray[np.bool_]] = []
    start = np.zeros((len(POOLS), len(homes)), dtype=np.int64)
    count = np.zeros((len(POOLS), len(homes)), dtype=np.int64)
    numbered: dict[tuple[str, AgencyType], int] = {}  # ORIs given so far, by home and type
    for p, pool in enumerate(POOLS):
        missions = ",".join(sorted(m.value for m in pool.missions))
        if pool.federal:
            per_home = {FEDERAL: [(t, n) for t, n in pool.types]}
        else:
            spread = 1 + largest_remainder(drivers, pool.agencies - len(codes))
            per_home = {
                code: list(
                    zip(
                        [t for t, _ in pool.types],
                        largest_remainder(np.array([float(n) for _, n in pool.types]), int(k)),
                        strict=True,
                    )
                )
                for code, k in zip(codes, spread, strict=True)
            }
        for home, typed in per_home.items():
            h = homes.index(home)
            start[p, h] = len(out["ori"])
            for agency_type, n in typed:
                for k in range(int(n)):
                    if pool.federal:
                        ori = f"DC{pool.federal}{len(out['ori']) - start[p, h] + 1:04d}"
                        name = f"{pool.label} {k + 1}"
                    else:
                        number = numbered.get((home, agency_type), 0)
                        numbered[home, agency_type] = number + 1
                        ori = f"{home}{number:05d}{_TYPE_CODES[agency_type]}"
                        name = f"{names[home]} {agency_type.description} {number + 1}"
                    out["ori"].append(ori)
                    out["name"].append(name)
                    out["type"].append(agency_type.value)
                    out["home"].append(home)
                    out["mission"].append(missions)
                    out["pool"].append(pool.name)
            count[p, h] = len(out["ori"]) - start[p, h]
            certified.append(rng.random(int(count[p, h])) < pool.certified)
    return Directory(
        oris=out["ori"],
        names=out["name"],
        types=out["type"],
        home_states=out["home"],
        missions=out["mission"],
        pools=out["pool"],
        certified=np.concatenate(certified),
        homes=homes,
        start=start,
        count=count,
    )
