"""What a query finds in a node's records, and the reply that carries an answer back.

``find`` runs the search a query asks for (by VIN or plate for an RQ; by licence number, or by
name and date of birth, for a DQ or KQ) and renders each person found with every data class;
what leaves the node is redacted by the caller. ``reply`` addresses the answer.
"""

from __future__ import annotations

from stateline.node.query import parse_dob
from stateline.node.records.model import Person
from stateline.node.records.ports import RecordStore
from stateline.node.records.render import driver_fields, history_fields, vehicle_fields
from stateline.node.records.search import parse_nam
from stateline.transport.base import Delivery
from stateline.wire.grammar import MKE, RESPONSE_TO
from stateline.wire.messages import Fields, Header, Query, Response

Found = list[tuple[Person, Fields]]
"""Each person a search found, with their record's fields (every class, before redaction)."""


def find(records: RecordStore, query: Query) -> Found:
    """The people ``query`` asks for, each with the fields its message key answers with."""
    mke = query.header.mke
    if mke is MKE.RQ:
        vin = query.get("VIN")
        if vin is not None:
            hits = records.by_vin(vin)
        else:
            hits = records.by_plate(
                query.get("LIC") or "", query.get("LIY") or "", query.get("LIT") or ""
            )
        return [(owner, vehicle_fields(vehicle, owner)) for vehicle, owner in hits]
    photo = query.get("IMQ") == "Y"
    oln = query.get("OLN")
    if oln is not None:
        person = records.by_oln(oln)
        if person is None:
            return []
        if mke is MKE.KQ:
            return [(person, history_fields(person))]
        return [(person, driver_fields(person, score=None, photo=photo))]
    dob = parse_dob(query.get("DOB") or "")
    if dob is None:
        return []
    name = parse_nam(query.get("NAM") or "")
    matches = records.by_name(name.last, name.first, dob, query.get("SEX") or "")
    if mke is MKE.KQ:
        return [(m.person, history_fields(m.person)) for m in matches]
    return [(m.person, driver_fields(m.person, score=m.score, photo=photo)) for m in matches]


def reply(delivery: Delivery, records: tuple[Fields, ...], notes: tuple[str, ...]) -> Response:
    """The reply, from the function ORI the query was addressed to, echoing its control."""
    header = delivery.query.header
    reply_header = Header(
        RESPONSE_TO[header.mke], delivery.destination, (header.ori,), header.control
    )
    return Response(reply_header, records, notes)
