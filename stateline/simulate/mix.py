"""The modelling choices: who asks, how often, for what, why, under what process, and when.

Nothing here was published: Nlets gives no breakdown of its 290 million DMV queries beyond ICE
and HSI (``published.py``), so every split below is a choice, written down as a table so that
the docs can print it and a reader can argue with it. Each kind of requester is a ``Profile``
drawing its agencies from a ``Pool`` of the synthetic directory; its queries follow its own
mixes of message keys and search modes (``Search``), of stated purposes with legal process
(``Reason``) and its own hours of the day and days of the week.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stateline.directory.model import AgencyType, Mission
from stateline.simulate.published import DMV_QUERIES, HSI_QUERIES, ICE_QUERIES
from stateline.wire.grammar import MKE


class Home(StrEnum):
    """Where a profile's agencies answer to, relative to the state asked."""

    IN = "in"  # the state asked: its own agencies
    OUT = "out"  # another state
    FEDERAL = "US"


class Search(StrEnum):
    """How a query finds its subject (the analytical copy's search modes)."""

    LICENCE = "licence"  # OLN/
    NAME_DOB = "name-dob"  # NAM/ + DOB/ (+ SEX/)
    PLATE = "plate"  # LIC/ + LIY/ + LIT/
    VIN = "vin"  # VIN/
    PARTIAL = "partial"  # a partial plate: the policy's partial-plate mode
    ALL_STATES = "all-states"  # a name + DOB query sent to NL, as each state receives it


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_CLE, _IMM = Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.IMMIGRATION_ENFORCEMENT
_POLICE = frozenset({_CLE, Mission.TRAFFIC_ENFORCEMENT})


@dataclass(frozen=True, slots=True)
class Pool:
    """One kind of agency in the directory: how many ORIs, of which types, with which missions.

    ``certified`` is the share of them that has filed the use certification a state's law asks
    for (Colorado, Illinois, Maryland, New York): modelled per agency, so a state that adopts
    such a law in a replay is taken to receive the same filings.
    """

    name: str
    label: str  # an agency's name is this label and a number
    types: tuple[tuple[AgencyType, int], ...]  # ORIs of each type, nationally
    missions: frozenset[Mission]
    federal: str = ""  # a federal pool's ORI stem (DC + 3 letters); empty for state pools
    certified: float = 0.0

    @property
    def agencies(self) -> int:
        return sum(count for _, count in self.types)


POOLS: tuple[Pool, ...] = (
    Pool(
        "local-police",
        "police",
        ((AgencyType.PD, 11_600), (AgencyType.SO, 3_000), (AgencyType.LE, 500)),
        _POLICE,
        certified=0.97,
    ),
    Pool("state-police", "state agency", ((AgencyType.SA, 600),), _POLICE, certified=0.99),
    Pool(
        "justice",
        "justice agency",
        ((AgencyType.JA, 400), (AgencyType.JC, 250), (AgencyType.JG, 250), (AgencyType.JJ, 100)),
        frozenset({_CLE}),
        certified=0.95,
    ),
    Pool(
        "dmv",
        "motor vehicle agency",
        ((AgencyType.NJ, 102),),
        frozenset({Mission.MOTOR_VEHICLE_ADMINISTRATION}),
    ),
    Pool(
        "child-welfare",
        "child welfare agency",
        ((AgencyType.NJ, 147),),
        frozenset({Mission.CHILD_WELFARE}),
    ),
    Pool("elections", "elections office", ((AgencyType.NJ, 51),), frozenset({Mission.ELECTIONS})),
    Pool("ice-ero", "ICE ERO office", ((AgencyType.FE, 250),), frozenset({_IMM}), "ICE"),
    Pool("hsi", "HSI office", ((AgencyType.FE, 200),), frozenset({_IMM, _CLE}), "HSI"),
    Pool("cbp", "CBP office", ((AgencyType.FE, 350),), frozenset({Mission.BORDER_CUSTOMS}), "CBP"),
    Pool("other-federal", "federal office", ((AgencyType.FE, 200),), frozenset({_CLE}), "FED", 1.0),
)
"""The synthetic directory: 18,000 ORIs, the published count of agencies with access."""


@dataclass(frozen=True, slots=True)
class Reason:
    """A stated purpose (``PRP/``) with its legal process (``LPK/``, ``LPS/``) and ``NDR/``."""

    weight: float
    purpose: str
    process: str = "none"
    scope: str = ""  # the data class the process names (LPS/); empty: the whole request
    delay: bool = False  # the requester asks that notice be delayed (NDR/Y)


@dataclass(frozen=True, slots=True)
class Query:
    """A message key and search mode, and how often a profile sends it."""

    weight: float
    mke: MKE
    search: Search


def _reasons(*rows: tuple[object, ...]) -> tuple[Reason, ...]:
    return tuple(Reason(*row) for row in rows)  # type: ignore[arg-type]


def _queries(*rows: tuple[float, str, str]) -> tuple[Query, ...]:
    return tuple(Query(weight, MKE(mke), Search(search)) for weight, mke, search in rows)


_POLICE_REASONS = _reasons(
    (0.44, "criminal-investigation"),
    (0.30, "traffic-enforcement"),
    (0.22, "unstated"),
    (0.01, "criminal-investigation", "court-order"),
    (0.01, "criminal-investigation", "judicial-subpoena"),
    (0.01, "criminal-investigation", "grand-jury-subpoena"),
    (0.01, "criminal-investigation", "judicial-warrant"),
)
_POLICE_QUERIES = _queries(
    (0.20, "DQ", "licence"),
    (0.14, "DQ", "name-dob"),
    (0.04, "DQ", "all-states"),
    (0.50, "RQ", "plate"),
    (0.04, "RQ", "vin"),
    (0.02, "RQ", "partial"),
    (0.05, "KQ", "licence"),
    (0.01, "KQ", "name-dob"),
)
_FEDERAL_QUERIES = _queries(
    (0.15, "DQ", "licence"),
    (0.30, "DQ", "name-dob"),
    (0.15, "DQ", "all-states"),
    (0.28, "RQ", "plate"),
    (0.05, "RQ", "vin"),
    (0.02, "RQ", "partial"),
    (0.05, "KQ", "licence"),
)


@dataclass(frozen=True, slots=True)
class Profile:
    """A kind of requester and its year of queries, nationally, before scaling.

    ``border`` multiplies the weight of the land-border states among the states it asks (CBP
    works the ports of entry); every other profile asks states by their licensed drivers.
    """

    name: str
    pool: str
    home: Home
    queries: int
    reasons: tuple[Reason, ...]
    searches: tuple[Query, ...]
    photo: float  # share of its DQs that ask for the photo (IMQ/Y)
    acting_for: float = 0.0  # share sent for an immigration agency (AFM/, a 287(g) officer)
    hours: str = "patrol"  # its time profile: "patrol" (round the clock) or "office"
    border: float = 1.0


def _share(fraction: float) -> int:
    return round(DMV_QUERIES.value * fraction)


CBP_QUERIES = 64_300_000
"""CBP's year, chosen so that Washington's federal queries come out as the UW Center for
Human Rights published them (2,671,776 in 334 days); a test and the docs check it."""

BORDER_FACTOR = 4.0
"""How much more often CBP asks a land-border state than its drivers alone would say."""

LAND_BORDER = frozenset(_codes("AK WA ID MT ND MN MI NY VT NH ME CA AZ NM TX"))
"""States on the land border with Canada or Mexico, where CBP's ports of entry are."""

_FIXED: tuple[Profile, ...] = (
    Profile(
        "police-in-state", "local-police", Home.IN, _share(0.02), _POLICE_REASONS,
        _POLICE_QUERIES, 0.25, acting_for=0.005,
    ),
    Profile(
        "state-police", "state-police", Home.OUT, _share(0.08), _POLICE_REASONS,
        _POLICE_QUERIES, 0.25, acting_for=0.002,
    ),
    Profile(
        "justice", "justice", Home.OUT, _share(0.015),
        _reasons(
            (0.55, "criminal-investigation"),
            (0.35, "unstated"),
            (0.05, "criminal-investigation", "court-order"),
            (0.05, "criminal-investigation", "judicial-subpoena"),
        ),
        _queries(
            (0.40, "DQ", "licence"), (0.20, "DQ", "name-dob"), (0.25, "KQ", "licence"),
            (0.05, "KQ", "name-dob"), (0.10, "RQ", "plate"),
        ),
        0.20, hours="office",
    ),
    Profile(
        "dmv", "dmv", Home.OUT, _share(0.004),
        _reasons((0.9, "motor-vehicle-administration"), (0.1, "unstated")),
        _queries(
            (0.40, "DQ", "licence"), (0.30, "KQ", "licence"), (0.15, "RQ", "plate"),
            (0.15, "RQ", "vin"),
        ),
        0.0, hours="office",
    ),
    Profile(
        "child-welfare", "child-welfare", Home.OUT, _share(0.0005),
        _reasons((0.9, "child-welfare"), (0.1, "unstated")),
        _queries((0.6, "DQ", "licence"), (0.4, "DQ", "name-dob")),
        0.0, hours="office",
    ),
    Profile(
        "elections", "elections", Home.OUT, _share(0.0005),
        _reasons((0.9, "voter-registration"), (0.1, "unstated")),
        _queries((0.6, "DQ", "licence"), (0.4, "DQ", "name-dob")),
        0.0, hours="office",
    ),
    Profile(
        "ice-ero", "ice-ero", Home.FEDERAL, ICE_QUERIES.value,
        _reasons(
            (0.40, "unstated"),
            (0.35, "civil-immigration-enforcement"),
            (0.12, "civil-immigration-enforcement", "administrative-warrant"),
            (0.05, "criminal-investigation", "administrative-subpoena"),
            (0.02, "criminal-investigation", "judicial-warrant"),
            (0.01, "criminal-investigation", "judicial-warrant", "address"),
            (0.02, "criminal-investigation", "magistrate-warrant"),
            (0.03, "criminal-investigation"),
        ),
        _FEDERAL_QUERIES, 0.45, hours="office",
    ),
    Profile(
        "hsi", "hsi", Home.FEDERAL, HSI_QUERIES.value,
        _reasons(
            (0.58, "criminal-investigation"),
            (0.15, "criminal-investigation", "administrative-subpoena"),
            (0.03, "criminal-investigation", "judicial-warrant"),
            (0.01, "criminal-investigation", "judicial-warrant", "", True),
            (0.03, "criminal-investigation", "magistrate-warrant"),
            (0.02, "criminal-investigation", "grand-jury-subpoena"),
            (0.01, "criminal-investigation", "grand-jury-subpoena", "", True),
            (0.12, "unstated"),
            (0.05, "civil-immigration-enforcement"),
        ),
        _FEDERAL_QUERIES, 0.45, hours="office",
    ),
    Profile(
        "cbp", "cbp", Home.FEDERAL, CBP_QUERIES,
        _reasons(
            (0.55, "border-admissibility"),
            (0.30, "unstated"),
            (0.10, "criminal-investigation"),
            (0.05, "trusted-traveler-vetting"),
        ),
        _queries(
            (0.70, "RQ", "plate"), (0.04, "RQ", "vin"), (0.01, "RQ", "partial"),
            (0.15, "DQ", "licence"), (0.07, "DQ", "name-dob"), (0.03, "DQ", "all-states"),
        ),
        0.30, border=BORDER_FACTOR,
    ),
    Profile(
        "other-federal", "other-federal", Home.FEDERAL, _share(0.03),
        _reasons(
            (0.72, "criminal-investigation"),
            (0.20, "unstated"),
            (0.04, "criminal-investigation", "grand-jury-subpoena"),
            (0.02, "criminal-investigation", "court-order"),
            (0.02, "criminal-investigation", "judicial-warrant"),
        ),
        _FEDERAL_QUERIES, 0.40, hours="office",
    ),
)  # fmt: skip

PROFILES: tuple[Profile, ...] = (
    Profile(
        "police-out-of-state",
        "local-police",
        Home.OUT,
        DMV_QUERIES.value - sum(p.queries for p in _FIXED),
        _POLICE_REASONS,
        _POLICE_QUERIES,
        0.25,
        acting_for=0.003,
    ),
    *_FIXED,
)
"""Every profile; out-of-state police make up the rest of the published 290 million."""

REAL_ID = 0.60
"""The share of a state's licence holders with a REAL ID, in every state (a choice)."""

PRIVILEGE_CARD = 0.03
PRIVILEGE_CARD_STATES = frozenset({"CA", "CO", "DE", "NV", "UT"})
"""States issuing a separate card (or AB 60 licence) to people who cannot show lawful
presence, and the share of their records that are one; elsewhere the rest are standard."""

HOURS: dict[str, tuple[float, ...]] = {
    "patrol": (
        3.0, 2.6, 2.2, 1.8, 1.5, 1.5, 2.0, 3.0, 4.0, 4.6, 5.0, 5.2,
        5.2, 5.3, 5.5, 5.6, 5.6, 5.5, 5.2, 4.9, 4.6, 4.3, 3.9, 3.4,
    ),
    "office": (
        0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.5, 3.5, 6.0, 7.5, 7.8, 7.4,
        6.5, 7.2, 7.6, 7.3, 6.2, 4.0, 2.2, 1.4, 1.0, 0.8, 0.6, 0.4,
    ),
}  # fmt: skip
"""Relative traffic in each hour of the local day, midnight first."""

WEEKDAYS: dict[str, tuple[float, ...]] = {
    "patrol": (1.00, 1.00, 1.01, 1.03, 1.08, 0.97, 0.86),
    "office": (1.00, 1.02, 1.02, 1.00, 0.92, 0.22, 0.16),
}
"""Relative traffic on each day of the week, Monday first."""

MONTHS = (0.94, 0.92, 0.99, 0.99, 1.03, 1.03, 1.05, 1.05, 1.02, 1.02, 0.97, 0.97)
"""Relative traffic a day in each month, January first: more stops in summer."""

UTC_OFFSETS: dict[str, int] = {
    **dict.fromkeys(
        _codes("CT DC DE FL GA IN KY MA MD ME MI NC NH NJ NY OH PA RI SC VA VT WV"), -5
    ),
    **dict.fromkeys(_codes("AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI"), -6),
    **dict.fromkeys(_codes("AZ CO ID MT NM UT WY"), -7),
    **dict.fromkeys(_codes("CA NV OR WA"), -8),
    "AK": -9,
    "HI": -10,
}
"""Each state's standard time (most of its people), in which its hours of the day are laid."""
