"""One access to the resident view: check the code, record the access, read the entries, prove.

The order is the node's: nothing is shown before the access's own ledger entry is durable, and
every try that names a licence of a served state is such an entry, wrong codes and refusals
included. A form that is not a try (no code, a licence number that cannot be one, a state
served by no node here) is refused before anything is read, and writes nothing.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from stateline.errors import StorageError
from stateline.ledger.checkpoint import Checkpoint, parse_note
from stateline.ledger.entries import Entry, encode, subject_key
from stateline.ledger.log import Ledger
from stateline.node.records.model import Person
from stateline.node.records.ports import RecordStore
from stateline.oversight.resident import (
    AccessOutcome,
    ResidentView,
    access_entry,
    context_entries,
    context_indexes,
    normalise_oln,
    resident_view,
    subject_keys,
)
from stateline.storage.resident import Claim, CodeCheck, IssuedCode, check_code
from stateline.web.console.views.signin import wait_words
from stateline.web.console.zones import local, zone_for

log = logging.getLogger(__name__)

MAX_CODE = 64
"""Characters of a typed code beyond which it cannot be one (a code has 16, with dashes 19)."""


class Codes(Protocol):
    """A node's residents' access codes, and the tries counted against each licence."""

    def code(self, state: str, subject: str) -> IssuedCode | None: ...

    def claim_try(self, state: str, subject: str, now: datetime) -> Claim: ...

    def give_back(self, state: str, subject: str, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class Desk:
    """What the view needs of one state's node: its ledger, secret, records and codes."""

    state: str
    ledger: Ledger
    secret: bytes
    records: RecordStore
    codes: Codes


@dataclass(frozen=True, slots=True)
class Refused:
    """A try that shows nothing: the HTTP status, what to tell the person, when to retry."""

    status: int
    message: str
    retry_after: int | None = None  # seconds, with a 429


@dataclass(frozen=True, slots=True)
class Shown:
    """A try with the right code: the view, each shown entry's proof and the head they lead to."""

    state: str
    view: ResidentView
    checkpoint: str  # the signed head every proof leads to
    verifier_key: str  # the key that signed it
    tree_size: int
    code_expires: datetime
    proofs: dict[int, dict[str, Any]] = field(default_factory=dict)  # by entry index


def proof_document(
    ledger: Ledger, index: int, entry: Entry, checkpoint: str, size: int
) -> dict[str, Any]:
    """The proof of entry ``index`` in the form ``stateline ledger prove`` writes and
    ``stateline ledger check-proof`` reads."""
    return ledger.inclusion_proof(index, size).document(ledger.origin, encode(entry), checkpoint)


class ResidentAccessService:
    """Serves the view for every state with a node in this process."""

    def __init__(self, desks: Mapping[str, Desk], clock: Callable[[], datetime]) -> None:
        self.desks = dict(desks)
        self.clock = clock

    @property
    def states(self) -> list[str]:
        return sorted(self.desks)

    def look(self, state: str, oln: str, code: str) -> Shown | Refused:
        """Everything about the licence ``oln`` of ``state`` the person may see, if ``code`` is
        theirs; otherwise why not."""
        desk = self.desks.get(state.strip().upper())
        if desk is None:
            return Refused(
                404,
                f"No state node serves {state.strip()[:8]!r} here: choose a state from the list.",
            )
        licence = normalise_oln(oln)
        if licence is None:
            return Refused(422, "A licence number is 1 to 20 letters and digits, as on the card.")
        if not code.strip() or len(code) > MAX_CODE:
            return Refused(422, "Type the access code from the DMV's letter.")
        try:
            return self._look(desk, licence, code)
        except StorageError:
            # The try may have been counted; nothing was shown.
            log.error("resident view of %s: ledger or database unavailable", desk.state)
            return Refused(
                503,
                "The state's records cannot be reached just now: nothing was shown. Try again "
                "later.",
            )

    def _record(
        self, desk: Desk, subject: str, at: datetime, outcome: AccessOutcome, shown: int = 0
    ) -> tuple[int, Entry]:
        """Append the access's ledger entry; returns once it is durable."""
        access_id = f"R-{secrets.token_hex(8).upper()}"
        entry = access_entry(
            at=at,
            state=desk.state,
            access_id=access_id,
            subject=subject,
            outcome=outcome,
            shown=shown,
        )
        [index] = desk.ledger.append([entry])
        # Ids only: an application log never carries a licence number or a subject key.
        log.info("resident view of %s: access %s %s", desk.state, access_id, outcome.value)
        return index, entry

    def _look(self, desk: Desk, licence: str, code: str) -> Shown | Refused:
        subject = subject_key(desk.secret, desk.state, oln=licence)
        now = self.clock()
        zone = zone_for(desk.state)
        claim = desk.codes.claim_try(desk.state, subject, now)
        if not claim.granted:
            assert claim.retry_at is not None
            self._record(desk, subject, now, AccessOutcome.LOCKED)
            seconds = max(math.ceil((claim.retry_at - now).total_seconds()), 1)
            return Refused(
                429,
                "Too many wrong codes for this licence number: looking is paused until "
                f"{local(claim.retry_at, zone)} ({wait_words(seconds)}). Try again then.",
                seconds,
            )
        issued = desk.codes.code(desk.state, subject)
        check = check_code(desk.secret, subject, code, issued, now)
        if check is CodeCheck.WRONG:
            self._record(desk, subject, now, AccessOutcome.WRONG_CODE)
            tries = f"{claim.left} {'try' if claim.left == 1 else 'tries'}"
            return Refused(
                403,
                "This licence number and access code do not match a code the DMV issued: check "
                f"both as the letter prints them ({tries} left this hour).",
            )
        assert issued is not None
        if check is CodeCheck.EXPIRED:
            self._record(desk, subject, now, AccessOutcome.EXPIRED_CODE)
            return Refused(
                403,
                f"This access code expired on {local(issued.expires, zone)}: ask the DMV for "
                "a new one.",
            )
        desk.codes.give_back(desk.state, subject, now)  # only wrong codes count as tries
        return self._show(desk, licence, subject, issued, now)

    def _show(
        self, desk: Desk, licence: str, subject: str, issued: IssuedCode, now: datetime
    ) -> Shown:
        person: Person | None = desk.records.by_oln(licence)
        keys = subject_keys(desk.secret, desk.state, licence, person)
        ledger = desk.ledger
        found: dict[int, Entry] = {}
        for key in keys:
            found.update(ledger.entries_for_subject(key))
        pairs = sorted(found.items())
        read = [(i, e) for i in context_indexes(pairs) if (e := ledger.entry(i)) is not None]
        context = context_entries(pairs, read)
        view = resident_view(pairs, desk.state, now, context)
        # Audit before disclosure: the access is durable before anything is shown.
        access = self._record(desk, subject, now, AccessOutcome.SHOWN, len(view.lookups))
        view = resident_view([*pairs, access], desk.state, now, context)
        head = ledger.head
        assert head is not None  # the access itself is in the log
        size = Checkpoint.parse(parse_note(head).text).size
        shown: list[tuple[int, Entry]] = [p for item in view.lookups for p in item.entries]
        shown += list(view.accesses)
        proofs = {i: proof_document(ledger, i, e, head, size) for i, e in shown if i < size}
        return Shown(desk.state, view, head, ledger.verifier.vkey, size, issued.expires, proofs)
