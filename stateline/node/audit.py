"""What a node writes to its ledger for one request: pure entries built from plain facts.

Every answer gets three entries (request received, decision, disclosure), denied and held ones
included; the disclosure names the data classes the answer carries and the SHA-256 of its bytes.
People are named only by keyed hashes (subject keys), never by name or licence number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stateline.ledger import entries
from stateline.ledger.entries import Entry, subject_key
from stateline.node.policy.model import Decision
from stateline.node.query import parse_dob
from stateline.node.records.model import Person
from stateline.node.redact import released_classes
from stateline.wire.messages import Fields, Query


def query_subjects(secret: bytes, state: str, query: Query) -> tuple[str, ...]:
    """Subject keys for whoever the query names: by licence number, or by name and birth date."""
    oln = query.get("OLN")
    if oln is not None:
        return (subject_key(secret, state, oln=oln),)
    name, dob = query.get("NAM"), query.get("DOB")
    if name is not None and dob is not None:
        born = parse_dob(dob)
        if born is not None:
            return (subject_key(secret, state, name=name, dob=born),)
    return ()


def person_subjects(secret: bytes, state: str, people: Sequence[Person]) -> tuple[str, ...]:
    """Subject keys of the people an answer is about, by their licence numbers."""
    return tuple(dict.fromkeys(subject_key(secret, state, oln=p.oln) for p in people))


def carried_classes(records: Sequence[Fields]) -> tuple[str, ...]:
    """The data classes an answer's records actually carry, sorted."""
    carried: set[str] = set()
    for record in records:
        carried |= {str(c) for c in released_classes(record)}
    return tuple(sorted(carried))


def class_outcomes(decision: Decision) -> dict[str, str]:
    outcomes = {str(c): "release" for c in decision.released}
    outcomes |= {str(c): "withhold" for c in decision.withheld}
    outcomes |= {str(c): "review" for c in decision.held}
    return outcomes


def request_entries(
    *,
    at: datetime,
    message_id: str,
    state: str,
    query: Query,
    requester: str,
    decision: Decision,
    subjects: tuple[str, ...],
    found: Sequence[Person],
    records: Sequence[Fields],
    answer: bytes,
    secret: bytes,
) -> list[Entry]:
    """The request, the decision and the disclosure, in that order, for one answer."""
    found_subjects = person_subjects(secret, state, found)
    return [
        entries.RequestReceived(
            at=at,
            key=str(query.header.mke),
            message_id=message_id,
            purpose=query.get("PUR"),
            reasons=tuple(v for v in (query.get("RSN"),) if v is not None),
            requester=requester,
            state=state,
            subjects=subjects,
        ),
        entries.Decision(
            at=at,
            data_classes=class_outcomes(decision),
            duties=tuple(str(duty.duty) for duty in decision.duties),
            message_id=message_id,
            outcome=str(decision.outcome),
            policy_ids=decision.policy_ids,
            state=state,
            subjects=subjects,
        ),
        entries.Disclosure(
            answer_sha256=entries.answer_digest(answer),
            at=at,
            data_classes=carried_classes(records),
            message_id=message_id,
            recipient=requester,
            state=state,
            subjects=tuple(dict.fromkeys(subjects + found_subjects)),
        ),
    ]
