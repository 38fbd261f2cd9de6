"""One state's month of queries, drawn in columns: numpy draws a whole block at once, no row loop.

A profile's mixes multiply into one table of combinations (reason x query kind x photo x
acting-for x the subject's credential), each row's combination is one draw from it by the alias
method; hours come from a multinomial over the month's hours, agencies from their pool by one
uniform number. Every value is a small integer code into a fixed vocabulary, written as a
Parquet dictionary column, so the file reads back as plain strings.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from itertools import product

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray

from stateline.directory.model import FEDERAL, Agency, AgencyType, Mission
from stateline.node.policy.model import Credential, LegalProcess, Purpose
from stateline.oversight.categories import CATEGORIES, requester_category
from stateline.simulate.agencies import SKEW, Directory
from stateline.simulate.mix import (
    HOURS,
    POOLS,
    PRIVILEGE_CARD,
    PRIVILEGE_CARD_STATES,
    PROFILES,
    REAL_ID,
    UTC_OFFSETS,
    WEEKDAYS,
    Home,
    Profile,
    Search,
)
from stateline.simulate.plan import driver_weights
from stateline.simulate.published import states
from stateline.wire.grammar import MKE, DataClass

MKES = (MKE.DQ.value, MKE.RQ.value, MKE.KQ.value)
SEARCHES = tuple(s.value for s in Search)
PURPOSES = tuple(p.value for p in Purpose)
PROCESSES = tuple(p.value for p in LegalProcess)
SCOPES = ("", *(c.value for c in DataClass))
ACTING_FOR = ("", Mission.IMMIGRATION_ENFORCEMENT.value)
CREDENTIALS = tuple(c.value for c in Credential if c is not Credential.ANY)

SCHEMA = pa.schema(
    [
        ("at", pa.timestamp("s", tz="UTC")),
        ("ori", pa.dictionary(pa.int32(), pa.string())),
        ("category", pa.dictionary(pa.int8(), pa.string())),
        ("mke", pa.dictionary(pa.int8(), pa.string())),
        ("search", pa.dictionary(pa.int8(), pa.string())),
        ("photo", pa.bool_()),
        ("purpose", pa.dictionary(pa.int8(), pa.string())),
        ("process", pa.dictionary(pa.int8(), pa.string())),
        ("scope", pa.dictionary(pa.int8(), pa.string())),
        ("notice_delay", pa.bool_()),
        ("acting_for", pa.dictionary(pa.int8(), pa.string())),
        ("certified", pa.bool_()),
        ("credential", pa.dictionary(pa.int8(), pa.string())),
    ]
)
"""One row per query as the state asked receives it; the state and month are the partition."""

_CODED = {
    "category": CATEGORIES,
    "mke": MKES,
    "search": SEARCHES,
    "purpose": PURPOSES,
    "process": PROCESSES,
    "scope": SCOPES,
    "acting_for": ACTING_FOR,
    "credential": CREDENTIALS,
}
_DICTIONARIES = {name: pa.array(values, pa.string()) for name, values in _CODED.items()}
_FLAGS = ("photo", "notice_delay")
_COMBO_CODES = ("mke", "search", "purpose", "process", "scope", "acting_for", "credential")


@dataclass(frozen=True, slots=True)
class Alias:
    """A discrete distribution ready for O(1) draws (Vose's alias method), with each outcome's
    attribute codes."""

    prob: NDArray[np.float32]
    alias: NDArray[np.int32]
    codes: dict[str, NDArray[np.int8]]

    def draw(self, rng: np.random.Generator, n: int) -> NDArray[np.int32]:
        pick = rng.integers(0, len(self.prob), n, dtype=np.int32)
        keep = rng.random(n, dtype=np.float32) < self.prob[pick]
        return np.where(keep, pick, self.alias[pick])


def alias_table(weights: NDArray[np.float64], codes: dict[str, NDArray[np.int8]]) -> Alias:
    """The alias table of ``weights`` (any positive scale)."""
    n = len(weights)
    scaled = weights * n / weights.sum()
    prob = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        prob[low], alias[low] = scaled[low], high
        scaled[high] += scaled[low] - 1.0
        (small if scaled[high] < 1.0 else large).append(high)
    return Alias(prob.astype(np.float32), alias, codes)


def _credentials(state: str) -> tuple[float, float, float]:
    card = PRIVILEGE_CARD if state in PRIVILEGE_CARD_STATES else 0.0
    return (REAL_ID, 1.0 - REAL_ID - card, card)


def combinations(profile: Profile, state: str) -> Alias:
    """Every combination a profile's query to ``state`` can take, weighted."""
    weights: list[float] = []
    rows: list[tuple[int, ...]] = []
    photo_share = (1.0 - profile.photo, profile.photo)
    acting = (1.0 - profile.acting_for, profile.acting_for)
    for reason, query, photo, afm, (cred, cred_share) in product(
        profile.reasons, profile.searches, (0, 1), (0, 1), enumerate(_credentials(state))
    ):
        asks_photo = photo_share[photo] if query.mke is MKE.DQ else float(photo == 0)
        weight = reason.weight * query.weight * asks_photo * acting[afm] * cred_share
        if weight <= 0:
            continue
        weights.append(weight)
        rows.append(
            (
                MKES.index(query.mke.value),
                SEARCHES.index(query.search.value),
                PURPOSES.index(reason.purpose),
                PROCESSES.index(reason.process),
                SCOPES.index(reason.scope),
                afm,
                cred,
                photo,
                int(reason.delay),
            )
        )
    table = np.array(rows, dtype=np.int8)
    names = (*_COMBO_CODES, *_FLAGS)
    return alias_table(np.array(weights), {name: table[:, i] for i, name in enumerate(names)})


def category(profile: Profile, state: str) -> int:
    """The report category of a profile's queries to ``state`` (``oversight.categories``)."""
    pool = next(p for p in POOLS if p.name == profile.pool)
    home = {Home.IN: state, Home.OUT: "XX", Home.FEDERAL: FEDERAL}[profile.home]
    agency_type: AgencyType = pool.types[0][0]
    agency = Agency("XX0000000", pool.label, agency_type, home, pool.missions)
    return CATEGORIES.index(requester_category(agency, state))


def hour_weights(hours: str, year: int, month: int) -> NDArray[np.float64]:
    """Relative traffic in each local hour of a month for a time profile."""
    first_weekday, days = calendar.monthrange(year, month)
    day_of_week = (first_weekday + np.arange(days)) % 7
    by_day = np.array(WEEKDAYS[hours])[day_of_week]
    weights = by_day[:, None] * np.array(HOURS[hours])[None, :]
    return np.asarray((weights / weights.sum()).ravel(), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class StateDraws:
    """What every month of one state's queries is drawn from."""

    state: str
    index: int  # of the state in the directory's homes
    combos: tuple[Alias, ...]  # per profile
    categories: tuple[int, ...]  # per profile
    homes: tuple[Alias | None, ...]  # per profile asking from other states: their home
    pools: tuple[int, ...]  # per profile


def state_draws(state: str, directory: Directory) -> StateDraws:
    """Precompute a state's combination tables and where its requesters come from."""
    index = directory.homes.index(state)
    pool_names = [p.name for p in POOLS]
    homes: list[Alias | None] = []
    drivers = driver_weights(states())
    for profile in PROFILES:
        if profile.home is not Home.OUT:
            homes.append(None)
            continue
        counts = directory.count[pool_names.index(profile.pool)]
        weights = drivers * (counts[: len(drivers)] > 0)
        weights[index] = 0.0  # another state's agencies: never this one's
        homes.append(alias_table(weights, {}))
    return StateDraws(
        state,
        index,
        tuple(combinations(p, state) for p in PROFILES),
        tuple(category(p, state) for p in PROFILES),
        tuple(homes),
        tuple(pool_names.index(p.pool) for p in PROFILES),
    )


def month_of_queries(
    draws: StateDraws,
    directory: Directory,
    oris: pa.Array,
    counts: NDArray[np.int64],
    year: int,
    month: int,
    rng: np.random.Generator,
) -> pa.Table:
    """One state's queries of one month: ``counts[p]`` from each profile ``p``."""
    offset = UTC_OFFSETS[draws.state] * 3600
    month_start = calendar.timegm((year, month, 1, 0, 0, 0)) - offset
    parts: dict[str, list[NDArray[np.generic]]] = {
        name: [] for name in ("at", "agency", "category", *_COMBO_CODES, *_FLAGS)
    }
    weights_by_hours = {h: hour_weights(h, year, month) for h in HOURS}
    for p, profile in enumerate(PROFILES):
        n = int(counts[p])
        if n == 0:
            continue
        hours = weights_by_hours[profile.hours]
        hour = np.repeat(np.arange(len(hours), dtype=np.int64), rng.multinomial(n, hours))
        second = rng.integers(0, 3600, n, dtype=np.int64)
        parts["at"].append(month_start + hour * 3600 + second)
        parts["agency"].append(_agencies(draws, directory, p, n, rng))
        parts["category"].append(np.full(n, draws.categories[p], dtype=np.int8))
        combos = draws.combos[p]
        pick = combos.draw(rng, n)
        for name, codes in combos.codes.items():
            parts[name].append(codes[pick])
    joined = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    agency = joined.pop("agency")
    used = np.flatnonzero(np.bincount(agency, minlength=len(directory)))
    remap = np.zeros(len(directory), dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    columns: dict[str, pa.Array] = {
        "at": pa.array(joined["at"], pa.int64()).cast(SCHEMA.field("at").type),
        "ori": pa.DictionaryArray.from_arrays(pa.array(remap[agency]), oris.take(used)),
        "certified": pa.array(directory.certified[agency]),
    }
    for name in _FLAGS:
        columns[name] = pa.array(joined[name].astype(np.bool_))
    for name in _CODED:
        columns[name] = pa.DictionaryArray.from_arrays(pa.array(joined[name]), _DICTIONARIES[name])
    return pa.table([columns[f.name] for f in SCHEMA], schema=SCHEMA)


def _agencies(
    draws: StateDraws, directory: Directory, p: int, n: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """The agency of each of ``n`` queries of profile ``p``: a home, then one of its pool's."""
    profile = PROFILES[p]
    if profile.home is Home.IN:
        home: NDArray[np.int32] | int = draws.index
    elif profile.home is Home.FEDERAL:
        home = len(directory.homes) - 1
    else:
        homes = draws.homes[p]
        assert homes is not None
        home = homes.draw(rng, n)
    pool = draws.pools[p]
    start, count = directory.start[pool, home], directory.count[pool, home]
    skewed = rng.random(n, dtype=np.float32) ** SKEW
    return np.asarray(start + (count * skewed).astype(np.int64), dtype=np.int64)
