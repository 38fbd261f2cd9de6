"""What the dashboard reads from the analytical copy: the copy brought up to date for the
node's state, the transparency report's figures under the auditor's filters, a page of the
requests behind one number, and one request with the ledger entries the copy records for it.

Every query goes through DuckDB over the copy's Parquet (``oversight.copy.connect``), a
connection per page; nothing here reads the ledger or loads all rows into Python. The copy's
module (and pyarrow with it) loads when the dashboard is first opened, not with the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from stateline.config import Config
from stateline.oversight.transparency import OUTCOMES
from stateline.web.console.views.dashboard_filters import PAGE_SIZE

_LISTED = """
    message_id, "at", requester, requester_name, requester_category, key, search, destinations,
    purpose, legal_process, outcome, disclosed_classes, classes_withheld, request_index,
    decision_index, disclosure_index, decided_at, late_answers, notices_owed
"""
"""The columns of ``requests_full`` a drill-down's rows show."""


def refresh(config: Config, state: str, out: Path) -> str | None:
    """Bring the copy of ``state``'s ledger up to date (only what it gained since the last
    time is read); what went wrong, in one line, if it could not."""
    from stateline.bootstrap import StoreSources
    from stateline.oversight.copy import export
    from stateline.oversight.parts import CopyError

    try:
        export(StoreSources(config), [state], out)
    except CopyError as error:
        return str(error)
    return None


def head(out: Path, state: str) -> tuple[int, str] | None:
    """The size and root of the signed head the copy of ``state``'s ledger was read up to."""
    from stateline.oversight.parts import CopyError, signed_heads

    try:
        found = signed_heads(out, [state])
    except CopyError:
        return None
    return (found[0][1], found[0][2]) if found else None


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def outcomes(db: Any, state: str) -> list[str]:
    """The report's outcomes, then any other the ledger records (a filter may ask for each)."""
    found = [
        o
        for (o,) in db.execute(
            "SELECT DISTINCT outcome FROM requests WHERE state = ? AND outcome IS NOT NULL "
            "ORDER BY outcome",
            [state],
        ).fetchall()
    ]
    return [*OUTCOMES, *(o for o in found if o not in OUTCOMES)]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the requests behind a number, the newest first."""

    total: int
    number: int
    pages: int
    rows: list[dict[str, Any]]


def requests_page(db: Any, where: str, values: Sequence[Any], number: int) -> Page:
    """The requests of ``requests_full`` that ``where`` picks, page ``number`` of them."""
    (total,) = db.execute(f"SELECT count(*) FROM requests_full WHERE {where}", values).fetchone()
    pages = max(-(-int(total) // PAGE_SIZE), 1)
    number = min(number, pages)
    cursor = db.execute(
        f"SELECT {_LISTED} FROM requests_full WHERE {where} "
        'ORDER BY "at" DESC, request_index DESC LIMIT ? OFFSET ?',
        [*values, PAGE_SIZE, (number - 1) * PAGE_SIZE],
    )
    return Page(int(total), number, pages, _rows(cursor))


@dataclass(frozen=True, slots=True)
class EntryRef:
    """One ledger entry of a request, as the copy records it: its index, kind and time, and
    what it says in a few words."""

    index: int
    kind: str
    at: datetime | None
    what: str


@dataclass(frozen=True, slots=True)
class Request:
    """One request's row of ``requests_full`` and its ledger entries, in ledger order."""

    row: dict[str, Any]
    entries: list[EntryRef]


def request(db: Any, state: str, message_id: str) -> Request | None:
    """The request ``message_id`` asked of ``state``, with the entries of its decision,
    disclosure, reviews, late answers and notices; None when the copy has no such request."""
    found = _rows(
        db.execute(
            "SELECT * FROM requests_full WHERE state = ? AND message_id = ?", [state, message_id]
        )
    )
    if not found:
        return None
    row = found[0]
    entries = [
        EntryRef(
            row["request_index"], "request", row["at"], f"{row['key']} from {row['requester']}"
        ),
        EntryRef(row["decision_index"], "decision", row["at"], f"outcome {row['outcome']}"),
        EntryRef(
            row["disclosure_index"],
            "disclosure",
            row["at"],
            "answer carried " + (", ".join(row["disclosed_classes"]) or "no record"),
        ),
    ]
    key = [state, message_id]
    for index, at, action, outcome, reviewer, role in db.execute(
        'SELECT "index", "at", action, outcome, reviewer, role FROM reviews '
        "WHERE state = ? AND message_id = ?",
        key,
    ).fetchall():
        by = f"{reviewer} ({role})" if role else reviewer
        entries.append(EntryRef(index, "review", at, f"{action} → {outcome or '-'} by {by}"))
    for index, at, classes, recipient in db.execute(
        'SELECT "index", "at", classes, recipient FROM late_disclosures '
        "WHERE state = ? AND message_id = ?",
        key,
    ).fetchall():
        sent = ", ".join(classes) or "no record"
        entries.append(EntryRef(index, "late answer", at, f"to {recipient}: {sent}"))
    for index, at, event, notice_id, due in db.execute(
        'SELECT "index", "at", event, notice_id, due FROM notices '
        "WHERE state = ? AND message_id = ?",
        key,
    ).fetchall():
        owed = f", due {due.isoformat()}" if isinstance(due, date) else ""
        entries.append(EntryRef(index, "notice", at, f"{notice_id} {event}{owed}"))
    return Request(row, sorted(entries, key=lambda e: e.index))
