"""What a query asks of a node, read from its fields: the data classes, the person, the facts."""

# The wire has checked every value before a query reaches a node, so reading a vocabulary tag
# here cannot meet a value outside it; a query built in code that breaks that rule raises, and
# the node answers nothing (fail closed).

from __future__ import annotations

from datetime import date

from stateline.node.policy.model import LegalProcess, PolicyRequest, Purpose
from stateline.node.review.model import CitedProcess
from stateline.transport.base import Delivery
from stateline.wire.grammar import LEGACY_PURPOSES, MKE, DataClass
from stateline.wire.messages import Query
from stateline.wire.vocabulary import Mission, from_wire, wire_list

REQUESTED: dict[MKE, frozenset[DataClass]] = {
    MKE.DQ: frozenset(
        {
            DataClass.IDENTITY,
            DataClass.CREDENTIAL_TYPE,
            DataClass.ADDRESS,
            DataClass.PHYSICAL,
            DataClass.SSN,
        }
    ),
    MKE.RQ: frozenset({DataClass.VEHICLES, DataClass.IDENTITY, DataClass.ADDRESS}),
    MKE.KQ: frozenset({DataClass.IDENTITY, DataClass.HISTORY}),
}
"""The data classes each query key asks for; a DQ with IMQ/Y asks for the photo too."""


def requested(delivery: Delivery) -> frozenset[DataClass]:
    query = delivery.query
    photo = frozenset({DataClass.PHOTO}) if query.get("IMQ") == "Y" else frozenset()
    return REQUESTED[query.header.mke] | photo


def stated_purpose(query: Query) -> Purpose:
    """``PRP/``; without it the purpose a legacy code gives (``RSN/``, then ``PUR/``); else
    unstated (docs/wire.md, "The legacy codes")."""
    given = query.get("PRP")
    if given is not None:
        return from_wire(Purpose, given)
    for tag in ("RSN", "PUR"):
        purpose = LEGACY_PURPOSES.get((tag, query.get(tag) or ""))
        if purpose is not None:
            return purpose
    return Purpose.UNSTATED


def cited_process(query: Query) -> CitedProcess | None:
    """The legal process a query cites (``LPK/`` and its details), or None without ``LPK/``."""
    kind = query.get("LPK")
    if kind is None:
        return None
    issued, scope = query.get("LPD"), query.get("LPS")
    return CitedProcess(
        kind=from_wire(LegalProcess, kind).value,
        number=query.get("LPN"),
        court=query.get("LPC"),
        judge=query.get("LPJ"),
        issued=date(int(issued[:4]), int(issued[4:6]), int(issued[6:])) if issued else None,
        covers=wire_list(DataClass, scope) if scope is not None else None,
    )


def policy_request(state: str, delivery: Delivery, on: date) -> PolicyRequest:
    """The facts of a delivery as the policy sees them: who asks, for what, why, under what
    process, and whether the requester's use certification with ``state`` is current ``on``."""
    query = delivery.query
    process = cited_process(query)
    acting_for = query.get("AFM")
    return PolicyRequest(
        state=state,
        mke=query.header.mke,
        requester=delivery.requester,
        reason_code=query.get("RSN"),
        purpose_code=query.get("PUR"),
        attention=query.get("ATN"),
        photo_requested=query.get("IMQ") == "Y",
        requested=requested(delivery),
        acting_for_missions=frozenset(
            m.value for m in (wire_list(Mission, acting_for) if acting_for else ())
        ),
        purpose=stated_purpose(query),
        legal_process=LegalProcess(process.kind) if process else LegalProcess.NONE,
        legal_process_covers=process.covers if process else None,
        certification_on_file=delivery.requester.certified_with(state, on),
        notice_delay_requested=query.get("NDR") == "Y",
    )


def parse_dob(value: str, today: date | None = None) -> date | None:
    """``ccyymmdd`` or ``mmddyy``; a 2-digit year is the most recent one not after ``today``."""
    try:
        if len(value) == 8:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(value) == 6:
            year = 2000 + int(value[4:])
            if year > (today or date.today()).year:
                year -= 100
            return date(year, int(value[:2]), int(value[2:4]))
    except ValueError:
        return None
    return None
