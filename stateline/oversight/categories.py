"""Who asked, in the words a transparency report uses: each requester's category, from the
directory's facts about the agency and the state it asked.

Federal immigration agencies get a category each, by their missions, as Oregon's reports break
requests down by DHS component: immigration enforcement alone is ICE's Enforcement and Removal
Operations, immigration enforcement with criminal investigation is Homeland Security
Investigations, border and customs is CBP.
"""

from __future__ import annotations

from stateline.directory.model import Agency, AgencyType, Mission

ICE_ERO = "federal immigration: ICE ERO"
HSI = "federal immigration: HSI"
CBP = "federal immigration: CBP"
OTHER_FEDERAL = "other federal"
LOCAL_IN_STATE = "local police, in-state"
POLICE_OUT_OF_STATE = "police, out-of-state"
STATE_AGENCY = "state agency"
STATE_AGENCY_OUT_OF_STATE = "state agency, out-of-state"
JUSTICE = "courts, prosecution, corrections"
NON_CRIMINAL_JUSTICE = "non-criminal-justice"
PUBLIC = "member of the public"
UNKNOWN = "not in the directory"

CATEGORIES = (
    LOCAL_IN_STATE,
    STATE_AGENCY,
    POLICE_OUT_OF_STATE,
    STATE_AGENCY_OUT_OF_STATE,
    JUSTICE,
    ICE_ERO,
    HSI,
    CBP,
    OTHER_FEDERAL,
    NON_CRIMINAL_JUSTICE,
    PUBLIC,
    UNKNOWN,
)
"""Every category, in the order reports list them."""

IMMIGRATION = (ICE_ERO, HSI, CBP)
"""The federal immigration categories, which reports show in a section of their own."""

_POLICE = frozenset({AgencyType.PD, AgencyType.SO, AgencyType.LE})
_JUSTICE = frozenset({AgencyType.JA, AgencyType.JC, AgencyType.JG, AgencyType.JJ, AgencyType.JF})


def requester_category(agency: Agency | None, state: str) -> str:
    """The category of ``agency`` asking ``state`` (one of :data:`CATEGORIES`)."""
    if agency is None:
        return UNKNOWN
    missions = agency.missions
    if agency.federal:
        if Mission.BORDER_CUSTOMS in missions:
            return CBP
        if Mission.IMMIGRATION_ENFORCEMENT in missions:
            return HSI if Mission.CRIMINAL_LAW_ENFORCEMENT in missions else ICE_ERO
        return OTHER_FEDERAL
    if agency.agency_type is AgencyType.PU:
        return PUBLIC
    if agency.agency_type is AgencyType.NJ:
        return NON_CRIMINAL_JUSTICE
    if agency.agency_type in _JUSTICE:
        return JUSTICE
    home = agency.home_state == state
    if agency.agency_type is AgencyType.SA:
        return STATE_AGENCY if home else STATE_AGENCY_OUT_OF_STATE
    if agency.agency_type in _POLICE:
        return LOCAL_IN_STATE if home else POLICE_OUT_OF_STATE
    return UNKNOWN
