"""The one message model: every key is a frozen value with a header and a typed body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stateline.wire.errors import ErReason
from stateline.wire.grammar import MKE

Fields = tuple[tuple[str, str], ...]
"""Ordered ``(TAG, value)`` pairs, as they stand in a message body."""


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of a message: key, sending ORI, destinations and control field.

    ``destinations`` holds 2-letter state or region codes, 9-character ORIs, or ``("NL",)``.
    On a reply it holds the one recipient ORI.
    """

    mke: MKE
    ori: str
    destinations: tuple[str, ...]
    control: str | None = None


@dataclass(frozen=True, slots=True)
class OutputHeader:
    """What the switch adds to every reply: when it was received and sent, and sequence numbers."""

    received: datetime
    input_seq: int
    sent: datetime
    output_seq: int


@dataclass(frozen=True, slots=True)
class Query:
    """A DQ, RQ or KQ: identifying fields plus optional ones (IMQ, RSN, PUR, ATN)."""

    header: Header
    fields: Fields

    def get(self, tag: str) -> str | None:
        for name, value in self.fields:
            if name == tag:
                return value
        return None


@dataclass(frozen=True, slots=True)
class AdminMessage:
    """An AM: free text from one agency or node to another."""

    header: Header
    text: tuple[str, ...]
    output: OutputHeader | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """A DR, RR or KR: zero or more records, then free-text lines (``NOT ON FILE``, notes)."""

    header: Header
    records: tuple[Fields, ...] = ()
    text: tuple[str, ...] = ()
    output: OutputHeader | None = None


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """An ER from the switch: a numbered reason, detail lines, and the input it refused."""

    header: Header
    reason: ErReason
    detail: tuple[str, ...]
    original: str
    output: OutputHeader | None = None


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """An SM: a destination does not serve a key, is out of service, or a multi-state summary."""

    header: Header
    text: tuple[str, ...]
    output: OutputHeader | None = None


Message = Query | AdminMessage | Response | ErrorMessage | StatusMessage
Reply = AdminMessage | Response | ErrorMessage | StatusMessage
