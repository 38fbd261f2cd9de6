"""One entry of the node's ledger with its inclusion proof against the latest signed checkpoint,
in the form ``stateline ledger prove`` writes, for the page to check and the auditor to keep."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stateline.ledger.checkpoint import Checkpoint, parse_note
from stateline.ledger.entries import encode
from stateline.ledger.log import Ledger
from stateline.web.resident.access import proof_document


@dataclass(frozen=True, slots=True)
class ProvedEntry:
    """An entry, what it says (its canonical JSON, laid out to read), and its proof; ``proof``
    is None when retention removed the entry's body (its leaf stays in the tree)."""

    index: int
    size: int  # entries under the signed head the proof leads to
    checkpoint: str  # that head, as the ledger signed it
    verifier_key: str  # the key that signs the ledger's checkpoints
    kind: str | None = None
    at: datetime | None = None
    message_id: str | None = None
    text: str | None = None
    proof: dict[str, Any] | None = None


class NotInLedger(LookupError):
    """No entry at that index under the latest signed head; the message says what there is."""


def proved(ledger: Ledger, index: int) -> ProvedEntry:
    """Entry ``index`` of ``ledger`` and its proof against the ledger's latest signed head."""
    head = ledger.head
    size = Checkpoint.parse(parse_note(head).text).size if head is not None else 0
    if head is None or not 0 <= index < size:
        raise NotInLedger(f"the ledger's signed head holds entries 0 to {size - 1}")
    key = ledger.verifier.vkey
    entry = ledger.entry(index)
    if entry is None:
        return ProvedEntry(index, size, head, key)
    body = json.dumps(json.loads(encode(entry)), indent=2, ensure_ascii=False)
    return ProvedEntry(
        index,
        size,
        head,
        key,
        entry.kind,
        entry.at,
        getattr(entry, "message_id", None),
        body,
        proof_document(ledger, index, entry, head, size),
    )
