"""Entries for ledger tests: synthetic, with subjects as keyed hashes of made-up licences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stateline.ledger.entries import (
    AdminChange,
    Decision,
    Disclosure,
    Entry,
    RequestReceived,
    subject_key,
)

SECRET = b"test subject secret"
START = datetime(2025, 10, 1, tzinfo=UTC)


def subject(n: int) -> str:
    return subject_key(SECRET, "NY", oln=f"T{n:07d}")


def entries(count: int, first: int = 0, start: datetime = START) -> list[Entry]:
    """``count`` entries cycling through the kinds, one second apart."""
    out: list[Entry] = []
    for i in range(first, first + count):
        common = {"message_id": f"m-{i}", "state": "NY", "at": start + timedelta(seconds=i)}
        who = (subject(i % 13),) if i % 5 else (subject(i % 13), subject(i % 7 + 100))
        match i % 4:
            case 0:
                out.append(RequestReceived(**common, requester="NYSTP0000", key="DQ",
                                           purpose="C", subjects=who))  # fmt: skip
            case 1:
                out.append(Decision(**common, outcome="release", subjects=who))
            case 2:
                out.append(Disclosure(**common, recipient="NYSTP0000", data_classes=("licence",),
                                      answer_sha256="ab" * 32, subjects=who))  # fmt: skip
            case _:
                out.append(AdminChange(**common, change="directory", actor="ops-1"))
    return out
