"""The analytical copy's rows: a state's ledger entries, in index order, become typed rows of
four tables, so that reports read columns and never parse an entry again.

- ``requests``: one row per request, with the decision and the answer's disclosure written
  beside it (a node appends the three together), the requester's facts from the directory and
  the message's destinations from the hub;
- ``reviews``: one row per review action (held requests), with the acting account's role;
- ``late_disclosures``: answers sent after the first (a held request's answer once decided);
- ``notices``: one row per notice event (created, sent, cancelled), with its due date.

Times stay as the entries wrote them (RFC 3339 UTC text) until the copy turns whole columns
into timestamps at once. Pure: the entries come in as decoded JSON objects with their ledger
index; the directory and
the reviewers' roles come in as mappings. A request whose decision and disclosure have not been
read yet (the end of what a fold has committed) is held back: :attr:`Folding.resume` says where
the next export starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stateline.directory.model import Agency
from stateline.oversight.categories import requester_category

Row = dict[str, Any]


@dataclass(slots=True)
class Tables:
    """The rows of one export, by table."""

    requests: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)
    late_disclosures: list[Row] = field(default_factory=list)
    notices: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.requests) + len(self.reviews) + len(self.late_disclosures) + len(self.notices)
        )


@dataclass(slots=True)
class _Open:
    """A request whose decision and disclosure are still to come."""

    index: int
    request: dict[str, Any]
    decision: dict[str, Any] | None = None
    decision_index: int = -1


class Folding:
    """Turns one state's entries, fed in index order, into :class:`Tables` rows."""

    def __init__(
        self,
        state: str,
        agencies: Mapping[str, Agency],
        roles: Mapping[str, str],
        start: int = 0,
    ) -> None:
        self.state = state
        self.agencies = agencies
        self.roles = roles  # reviewer account -> role
        self.tables = Tables()
        self._open: _Open | None = None
        self._requesters: dict[str, tuple[str | None, str | None, str | None, str]] = {}
        self.last = start - 1  # the last index fed: none yet, from ``start`` on

    @property
    def resume(self) -> int:
        """The first index the next export must read again: an open request's, if one is
        still waiting for its decision or disclosure, else the one after the last fed."""
        return self._open.index if self._open is not None else self.last + 1

    def feed(self, index: int, entry: dict[str, Any] | None) -> None:
        """One entry (``None``: its body was removed by retention, and it counts nowhere)."""
        self.last = index
        if entry is None:
            return
        kind = entry.get("kind")
        if kind == "request":
            self._open = _Open(index, entry)
        elif kind == "decision":
            open_ = self._open
            if open_ is not None and open_.request["message_id"] == entry["message_id"]:
                open_.decision, open_.decision_index = entry, index
        elif kind == "disclosure":
            open_ = self._open
            if (
                open_ is not None
                and open_.decision is not None
                and open_.request["message_id"] == entry["message_id"]
            ):
                self.tables.requests.append(self._request_row(open_, index, entry))
                self._open = None
            else:
                self.tables.late_disclosures.append(
                    {
                        "state": self.state,
                        "message_id": entry["message_id"],
                        "index": index,
                        "at": entry["at"],
                        "classes": list(entry["data_classes"]),
                        "recipient": entry["recipient"],
                    }
                )
        elif kind == "review":
            actor = entry["reviewer"]
            self.tables.reviews.append(
                {
                    "state": self.state,
                    "message_id": entry["message_id"],
                    "index": index,
                    "at": entry["at"],
                    "action": entry["action"],
                    "outcome": entry.get("outcome"),
                    "reviewer": actor,
                    "role": self.roles.get(actor, "system" if actor == "system" else None),
                }
            )
        elif kind == "notice":
            detail = entry.get("detail") or {}
            due = detail.get("due")
            self.tables.notices.append(
                {
                    "state": self.state,
                    "message_id": entry["message_id"],
                    "index": index,
                    "at": entry["at"],
                    "notice": entry["notice"],
                    "event": detail.get("event"),
                    "notice_id": detail.get("notice_id"),
                    "due": date.fromisoformat(due) if isinstance(due, str) else None,
                    "requester": detail.get("requester"),
                    "statute": detail.get("statute"),
                    "delay_requested": bool(detail.get("delay_requested", False)),
                }
            )

    def _requester(self, ori: str) -> tuple[str | None, str | None, str | None, str]:
        """Name, type, home and category of ``ori``: worked out once per agency."""
        known = self._requesters.get(ori)
        if known is None:
            agency = self.agencies.get(ori)
            known = self._requesters[ori] = (
                agency.name if agency is not None else None,
                agency.agency_type.value if agency is not None else None,
                agency.home_state if agency is not None else None,
                requester_category(agency, self.state),
            )
        return known

    def _request_row(self, open_: _Open, index: int, disclosure: dict[str, Any]) -> Row:
        request, decision = open_.request, open_.decision
        assert decision is not None
        ori = request["requester"]
        name, kind, home, category = self._requester(ori)
        # A canonical entry's keys are sorted: the classes come in order already.
        released: list[str] = []
        withheld: list[str] = []
        review: list[str] = []
        sides = {"release": released, "withhold": withheld, "review": review}
        for data_class, outcome in (decision.get("data_classes") or {}).items():
            side = sides.get(outcome)
            if side is not None:
                side.append(data_class)
        process = request.get("legal_process") or {}
        asked = request.get("subjects") or ()
        found = sum(1 for s in disclosure.get("subjects") or () if s not in asked)
        return {
            "state": self.state,
            "message_id": request["message_id"],
            "at": request["at"],
            "request_index": open_.index,
            "requester": ori,
            "requester_name": name,
            "requester_type": kind,
            "requester_home": home,
            "requester_category": category,
            "key": request["key"],
            "destinations": None,  # the hub's to say: filled by the export
            "purpose": request.get("purpose"),
            "legacy_codes": list(request.get("reasons") or ()),
            "legal_process": process.get("kind"),
            "legal_process_document": "document_sha256" in process,
            "subjects": len(asked),
            "outcome": decision["outcome"],
            "classes_released": released,
            "classes_withheld": withheld,
            "classes_review": review,
            "duties": list(decision.get("duties") or ()),
            "policy_ids": list(decision.get("policy_ids") or ()),
            "decision_index": open_.decision_index,
            "disclosed_classes": list(disclosure["data_classes"]),
            "disclosure_index": index,
            "found": found,
        }
