"""The resident view in words and as JSON: agencies named from the directory, times on the
state's clock, data classes as the notice letters name them."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

from stateline.directory.model import Agency
from stateline.ledger.entries import Entry, JSONValue
from stateline.node.deadlines import STATE_ZONES
from stateline.node.notices.letters import PLAIN_WORDS, state_name
from stateline.oversight.resident import AccessOutcome, Lookup
from stateline.web.console.zones import local, zone_for
from stateline.web.resident.access import Shown
from stateline.wire.grammar import DataClass

Agencies = Callable[[str], Agency | None]
"""The hub's directory: the agency an ORI names, if it is there."""

ASKED_FOR = {
    "DQ": "your driver licence record",
    "RQ": "a vehicle registration record",
    "KQ": "your driving history",
}

ACCESS_WORDS = {
    AccessOutcome.SHOWN.value: "this list was shown",
    AccessOutcome.WRONG_CODE.value: "a wrong access code was typed",
    AccessOutcome.EXPIRED_CODE.value: "an expired access code was typed",
    AccessOutcome.LOCKED.value: "refused: too many wrong codes that hour",
}

WITHHELD_NOTE = (
    "Some requests about you are not shown for now. The law lets the state delay telling you "
    "about a request for a while, when a court orders it or the state's counsel grants an "
    "agency's request to delay it. They will appear here when the delay ends."
)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def words(value: str | None) -> str | None:
    """A vocabulary value as words: ``criminal-investigation`` reads criminal investigation."""
    return value.replace("-", " ") if value else None


def released_words(classes: Iterable[str]) -> str:
    """The data classes that left, as the notice letters name them, or that nothing did."""
    named = []
    for value in classes:
        try:
            named.append(PLAIN_WORDS[DataClass(value)])
        except ValueError:
            named.append(value)
    return "; ".join(named) if named else "nothing from your record"


def outcome_words(item: Lookup) -> str:
    """What the state decided, as the person reads it."""
    if item.outcome == "review":
        if item.answered_after_review is None:
            return "Held for a person at the state to review: nothing given so far."
        if item.released:
            return "Held for a person at the state to review, then answered."
        return "Held for a person at the state to review, then refused or not found."
    return {
        "release": "Released.",
        "release-redacted": "Released in part: the state's law kept back some of what was "
        "asked for.",
        "deny": "Refused: nothing from your record was given.",
    }.get(item.outcome or "", "Not recorded in the entries about you.")


def process_words(process: Mapping[str, JSONValue]) -> str:
    """The legal process a request cited: its kind, number and court."""
    kind = process.get("kind")
    if not isinstance(kind, str):
        return "none cited"
    parts = [words(kind) or kind]
    parts += [str(process[k]) for k in ("number", "court") if isinstance(process.get(k), str)]
    return ", ".join(parts)


def agency_json(ori: str | None, agencies: Agencies) -> dict[str, str | None]:
    agency = agencies(ori) if ori else None
    return {
        "ori": ori,
        "name": agency.name if agency is not None else None,
        "type": agency.agency_type.value if agency is not None else None,
        "type_description": agency.agency_type.description if agency is not None else None,
    }


def _entries_json(pairs: Iterable[tuple[int, Entry]], proofs: Mapping[int, Any]) -> list[Any]:
    return [
        {"index": i, "kind": e.kind, "at": utc_iso(e.at), "proof": proofs.get(i)} for i, e in pairs
    ]


def lookup_json(
    item: Lookup, agencies: Agencies, zone: tzinfo, proofs: Mapping[int, Any]
) -> dict[str, Any]:
    late = item.answered_after_review
    return {
        "message_id": item.message_id,
        "at": utc_iso(item.at),
        "at_local": local(item.at, zone),
        "agency": agency_json(item.requester, agencies),
        "message_key": item.key,
        "asked_for": ASKED_FOR.get(item.key or ""),
        "purpose": item.purpose,
        "legal_process": dict(item.legal_process),
        "outcome": item.outcome,
        "outcome_words": outcome_words(item),
        "released": list(item.released),
        "answered_after_review": utc_iso(late) if late is not None else None,
        "entries": _entries_json(item.entries, proofs),
    }


def shown_json(shown: Shown, agencies: Agencies) -> dict[str, Any]:
    """The JSON answer of ``POST /v1/resident/lookups``."""
    zone = zone_for(shown.state)
    view = shown.view
    return {
        "state": shown.state,
        "time_zone": STATE_ZONES[shown.state],
        "code_expires": utc_iso(shown.code_expires),
        "lookups": [lookup_json(item, agencies, zone, shown.proofs) for item in view.lookups],
        "withheld": view.withheld,
        "withheld_note": WITHHELD_NOTE if view.withheld else None,
        "accesses": [
            {
                "index": i,
                "at": utc_iso(access.at),
                "at_local": local(access.at, zone),
                "outcome": access.outcome,
                "proof": shown.proofs.get(i),
            }
            for i, access in view.accesses
        ],
        "checkpoint": shown.checkpoint,
        "verifier_key": shown.verifier_key,
        "tree_size": shown.tree_size,
    }


def page_context(shown: Shown, agencies: Agencies) -> dict[str, Any]:
    """What the page template shows: the JSON answer, with each proof ready to check in the page
    and to download."""
    body = shown_json(shown, agencies)
    for item in body["lookups"]:
        item["released_words"] = released_words(item["released"])
        item["process_words"] = process_words(item["legal_process"])
        item["purpose_words"] = words(item["purpose"]) or "not stated"
        for entry in item["entries"]:
            _downloadable(entry, shown.state)
    for access in body["accesses"]:
        access["words"] = ACCESS_WORDS.get(access["outcome"], access["outcome"])
        _downloadable(access, shown.state)
    body["state_name"] = state_name(shown.state)
    body["code_expires_local"] = local(shown.code_expires, zone_for(shown.state))
    return body


def _downloadable(entry: dict[str, Any], state: str) -> None:
    proof = entry["proof"]
    if proof is None:
        return
    text = orjson.dumps(proof, option=orjson.OPT_INDENT_2) + b"\n"
    entry["proof_json"] = text.decode()
    entry["proof_b64"] = base64.b64encode(text).decode("ascii")
    entry["proof_file"] = f"proof-{state}-{entry['index']}.json"
