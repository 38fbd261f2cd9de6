"""A state node's service: decide, then search, redact and answer; no record is read first."""

from __future__ import annotations

import logging
from datetime import date

from stateline.directory.checks import node_ori
from stateline.node.policy.model import Decision, Outcome, Policy, PolicyRequest
from stateline.node.records.render import driver_fields, history_fields, vehicle_fields
from stateline.node.redact import redact
from stateline.storage.records import RecordStore
from stateline.transport.base import Delivery
from stateline.wire.grammar import MKE, NOT_ON_FILE, RESPONSE_TO, DataClass
from stateline.wire.messages import Fields, Header, Query, Response

log = logging.getLogger(__name__)

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


def policy_request(state: str, delivery: Delivery) -> PolicyRequest:
    """The facts of a delivery as the policy sees them: who asks, for what, and why."""
    query = delivery.query
    photo = query.get("IMQ") == "Y"
    requested = REQUESTED[query.header.mke] | ({DataClass.PHOTO} if photo else frozenset())
    return PolicyRequest(
        state=state,
        mke=query.header.mke,
        requester=delivery.requester,
        reason_code=query.get("RSN"),
        purpose_code=query.get("PUR"),
        attention=query.get("ATN"),
        photo_requested=photo,
        requested=requested,
    )


def parse_dob(value: str) -> date | None:
    """``ccyymmdd`` or ``mmddyy``; a 2-digit year is the most recent one not in the future."""
    try:
        if len(value) == 8:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(value) == 6:
            year = 2000 + int(value[4:])
            if year > date.today().year:
                year -= 100
            return date(year, int(value[:2]), int(value[2:4]))
    except ValueError:
        return None
    return None


def split_name(nam: str) -> tuple[str, str]:
    """``LAST,FIRST MIDDLE SUFFIX`` -> (last, first)."""
    last, _, rest = nam.partition(",")
    first = rest.split(" ", 1)[0] if rest else ""
    return last.strip(), first.strip()


class StateNode:
    """A state's node: its policy, its records, and the answers it sends."""

    def __init__(self, state: str, records: RecordStore, policy: Policy) -> None:
        self.state = state
        self.ori = node_ori(state)
        self.records = records
        self.policy = policy

    def handle(self, delivery: Delivery) -> Response:
        query = delivery.query
        decision = self.decide(policy_request(self.state, delivery))
        if decision.outcome is Outcome.DENY:
            return self.answer(delivery, (), ("REQUEST DENIED", *decision.reasons))
        if decision.outcome is Outcome.REVIEW:
            return self.answer(delivery, (), (f"REQUEST HELD FOR REVIEW BY {self.state}",))
        found = self.search(query)
        records = tuple(redact(record, decision.released) for record in found)
        notes: tuple[str, ...] = () if records else (NOT_ON_FILE,)
        if records and decision.withheld:
            withheld = ", ".join(sorted(c.upper() for c in decision.withheld))
            notes = (f"WITHHELD BY {self.state} POLICY: {withheld}",)
        return self.answer(delivery, records, notes)

    def decide(self, request: PolicyRequest) -> Decision:
        """Run the policy; any error inside it is a denial (fail closed)."""
        try:
            return self.policy.decide(request)
        except Exception:
            log.exception("policy error in %s: request denied", self.state)
            return Decision.deny("POLICY ERROR")

    def search(self, query: Query) -> tuple[Fields, ...]:
        mke = query.header.mke
        photo = query.get("IMQ") == "Y"
        if mke is MKE.RQ:
            vin = query.get("VIN")
            if vin is not None:
                hits = self.records.by_vin(vin)
            else:
                hits = self.records.by_plate(
                    query.get("LIC") or "", query.get("LIY") or "", query.get("LIT") or ""
                )
            return tuple(vehicle_fields(vehicle, owner) for vehicle, owner in hits)
        render = history_fields if mke is MKE.KQ else None
        oln = query.get("OLN")
        if oln is not None:
            person = self.records.by_oln(oln)
            if person is None:
                return ()
            if render is not None:
                return (render(person),)
            return (driver_fields(person, score=None, photo=photo),)
        dob = parse_dob(query.get("DOB") or "")
        if dob is None:
            return ()
        last, first = split_name(query.get("NAM") or "")
        matches = self.records.by_name(last, first, dob, query.get("SEX") or "")
        if render is not None:
            return tuple(render(m.person) for m in matches)
        return tuple(driver_fields(m.person, score=m.score, photo=photo) for m in matches)

    def answer(
        self, delivery: Delivery, records: tuple[Fields, ...], notes: tuple[str, ...]
    ) -> Response:
        """The reply, from the function ORI the query was addressed to, echoing its control."""
        header = delivery.query.header
        mke = RESPONSE_TO[header.mke]
        reply_header = Header(mke, delivery.destination, (header.ori,), header.control)
        return Response(reply_header, records, notes)
