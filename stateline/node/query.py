"""What a query asks of a node, read from its fields: the data classes, the person, the facts."""

from __future__ import annotations

from datetime import date

from stateline.node.policy.model import PolicyRequest
from stateline.transport.base import Delivery
from stateline.wire.grammar import MKE, DataClass

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


def policy_request(state: str, delivery: Delivery) -> PolicyRequest:
    """The facts of a delivery as the policy sees them: who asks, for what, and why."""
    query = delivery.query
    return PolicyRequest(
        state=state,
        mke=query.header.mke,
        requester=delivery.requester,
        reason_code=query.get("RSN"),
        purpose_code=query.get("PUR"),
        attention=query.get("ATN"),
        photo_requested=query.get("IMQ") == "Y",
        requested=requested(delivery),
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
