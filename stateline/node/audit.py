"""What a node writes to its ledger for one request: pure entries built from plain facts.

Every answer gets three entries (request received, decision, disclosure), denied and held ones
included; the disclosure names the data classes the answer carries and the SHA-256 of its bytes.
The request entry names the purpose the policy saw, the legacy codes as given and the legal
process cited, with the SHA-256 of its attached document, never the document itself.
People are named only by keyed hashes (subject keys), never by name or licence number; the
person asking (``ATN/``) likewise, by :func:`asker_key`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from stateline.documents import Document
from stateline.ledger import entries
from stateline.ledger.entries import Entry, JSONValue, subject_key
from stateline.node.policy.model import Decision, Purpose
from stateline.node.query import cited_process, parse_dob, stated_purpose
from stateline.node.records.model import Person
from stateline.node.redact import released_classes
from stateline.wire.messages import Fields, Query

LEGACY_TAGS = ("RSN", "PUR")
"""The guide's reason and purpose codes, recorded as given (``RSN/N``) beside the purpose."""

# Coded items the request entry's ``reasons`` carries after the legacy codes, for the abuse
# alerts (docs/alerts.md). They ride in that existing tuple rather than in new fields: a new
# field would change the canonical bytes of every entry already written (docs/ledger.md).
ACTING_FOR = "AFM/"
"""The missions the officer acts for, as given on the wire: ``AFM/IMMIGRATION-ENFORCEMENT``."""
ASKER = "ATN#"
"""The person asking, never as given: ``ATN#`` and the first :data:`ASKER_DIGITS` hex digits of
:func:`asker_key`."""
ASKER_DIGITS = 16
NAME_SEARCH = "SRCH/NAME"
"""The query searched by name, date of birth and sex, with no licence number."""


def asker_key(secret: bytes, state: str, requester: str, attention: str) -> str:
    """The keyed hash that stands for the person asking (``ATN/``): HMAC-SHA256 (hex) under the
    state's subject secret, over the requester ORI and the text with case and spacing
    normalised, so one officer of one agency always has one key and no officer is named."""
    words = " ".join(attention.upper().split())
    message = f"atn\x1f{state.strip().upper()}\x1f{requester}\x1f{words}"
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def coded_items(query: Query, secret: bytes, state: str, requester: str) -> tuple[str, ...]:
    """The coded items after the legacy codes: acting for (``AFM/``), the person asking
    (``ATN#``, hashed) and a name search (``SRCH/NAME``), those that apply, in that order."""
    items: list[str] = []
    missions = query.get("AFM")
    if missions is not None:
        items.append(ACTING_FOR + missions)
    attention = query.get("ATN")
    if attention is not None:
        items.append(ASKER + asker_key(secret, state, requester, attention)[:ASKER_DIGITS])
    if query.get("NAM") is not None and query.get("OLN") is None:
        items.append(NAME_SEARCH)
    return tuple(items)


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


def legal_process(query: Query, document: Document | None) -> dict[str, JSONValue]:
    """The legal process a query cites, as the request entry records it: kind, number, court,
    judge, date, the classes it names (null: the whole request) and the document's SHA-256.
    Empty when it cites none; a document without ``LPK/`` never reaches a node (the wire)."""
    process = cited_process(query)
    if process is None:
        return {}
    covers = sorted(c.value for c in process.covers) if process.covers is not None else None
    cited: dict[str, JSONValue] = {
        "kind": process.kind,
        "number": process.number,
        "court": process.court,
        "judge": process.judge,
        "issued": process.issued.isoformat() if process.issued else None,
        "covers": list(covers) if covers is not None else None,
    }
    if document is not None:
        cited["document_sha256"] = document.ref.sha256
    return cited


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
    document: Document | None = None,
) -> list[Entry]:
    """The request, the decision and the disclosure, in that order, for one answer."""
    found_subjects = person_subjects(secret, state, found)
    purpose = stated_purpose(query)
    return [
        entries.RequestReceived(
            at=at,
            key=str(query.header.mke),
            legal_process=legal_process(query, document),
            message_id=message_id,
            purpose=None if purpose is Purpose.UNSTATED else purpose.value,
            reasons=(
                *(f"{t}/{query.get(t)}" for t in LEGACY_TAGS if query.get(t) is not None),
                *coded_items(query, secret, state, requester),
            ),
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
