"""Entries a second writer journaled at indexes its log already holds: appended again, never lost.

Only a second process appending to the same ledger leaves such entries (it handed out indexes
the first had folded already), which the writer lock now prevents; ledgers written before it
may hold some. No fold takes them, so they are moved to the end of the log, with an admin
entry that says so, in one transaction: a crash halfway leaves them where they were. An
orphan whose leaf is the tree's own at its index is a copy of an entry already folded, and is
only removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from stateline.ledger.entries import AdminChange
from stateline.ledger.layout import entry_row, journal_tags, parse_tags
from stateline.ledger.ports import Journal, LedgerStore, Work
from stateline.ledger.writer import Pending


@dataclass(frozen=True, slots=True)
class Recovery:
    """One transaction: ``work`` removes the orphans from the journal and journals ``moved``
    (the lost entries at the log's next indexes, then the admin entry)."""

    moved: list[Pending]
    work: list[Work]
    lost: int  # entries appended again
    copies: int  # copies of folded entries, removed


def recovery(
    journal: Journal, store: LedgerStore, origin: str, size: int, next_index: int
) -> Recovery | None:
    """What moves the entries of log ``origin`` journaled below ``size``, the size of its
    tree, to its end (from ``next_index``); ``None`` when there are none."""
    orphans = journal.orphans(origin, size)
    if not orphans:
        return None
    first, last = orphans[0][0], orphans[-1][0]
    stored = {index: leaf for index, _body, leaf in store.entries(first, last + 1)}
    copies = [index for index, _body, leaf, _tags in orphans if stored.get(index) == leaf]
    lost = [row for row in orphans if stored.get(row[0]) != row[2]]
    moved: list[Pending] = []
    index = next_index
    for _old, body, leaf, listed in lost:
        moved.append((index, body, leaf, parse_tags(listed)))
        index += 1
    if lost:
        note = AdminChange(
            message_id=f"journal-recovery-{next_index}",
            state=origin.rsplit("/", 1)[-1],
            at=datetime.now(UTC),
            change="journal_recovery",
            actor="ledger",
            detail={
                "reason": "entries journaled by a second writer at indexes already taken",
                "journaled_at": [row[0] for row in lost],
                "appended_from": next_index,
                "count": len(lost),
            },
        )
        note_tags, note_body, note_leaf = entry_row(note)
        moved.append((index, note_body, note_leaf, note_tags))
    rows = [(origin, i, body, leaf, journal_tags(t)) for i, body, leaf, t in moved]
    work = journal.remove_work(origin, [row[0] for row in orphans])
    work += journal.append_work(rows) if rows else []
    return Recovery(moved, work, len(lost), len(copies))
