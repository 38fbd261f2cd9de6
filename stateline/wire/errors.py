"""The numbered ER reasons the switch sends, and the rejection a failed parse returns.

Reasons 01 to 22 are the ones the public Nlets guide documents (NLETS-FORMAT.md, "Errors").
Reasons 40 and up are Stateline's own, for refusals the guide does not number (authentication,
directory and delivery); docs/wire.md lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ORIGINAL_LIMIT = 100
"""How many characters of the offending input an ER quotes (NLETS-FORMAT.md, "Errors")."""


class ErReason(Enum):
    """An ER reason: its number and its plain-English text."""

    INVALID_HEADER = (1, "INVALID HEADER")
    NOT_ALLOWED_TO_DESTINATION = (2, "MESSAGE TYPE NOT ALLOWED TO DESTINATION")
    TXT_NOT_FOUND = (3, "TXT NOT FOUND")
    DOB_INVALID = (5, "DOB INVALID OR MISSING")
    YEAR_INVALID = (10, "YEAR FIELD INVALID")
    FIELDS_MISSING = (14, "FIELDS MISSING")
    ATN_INVALID = (16, "ATN INVALID")
    INVALID_DESTINATION = (19, "INVALID DESTINATION ORI")
    INVALID_FORMAT = (22, "INVALID MESSAGE FORMAT")
    # Stateline's own reasons.
    NO_CREDENTIAL = (40, "NO CREDENTIAL PRESENTED")
    CREDENTIAL_MISMATCH = (41, "CREDENTIAL NOT VALID FOR SENDING ORI")
    AGENCY_SUSPENDED = (42, "SENDING AGENCY SUSPENDED")
    UNKNOWN_SENDER = (43, "SENDING ORI NOT IN DIRECTORY")
    MESSAGE_TOO_LONG = (44, "MESSAGE TOO LONG")
    DOCUMENT_NOT_FOUND = (45, "DOCUMENT NOT FOUND")

    def __init__(self, number: int, text: str) -> None:
        self.number = number
        self.text = text

    @property
    def code(self) -> str:
        """The reason as it opens an ER body: ``.22.``."""
        return f".{self.number:02d}."

    @classmethod
    def from_number(cls, number: int) -> ErReason:
        for reason in cls:
            if reason.number == number:
                return reason
        raise ValueError(f"no ER reason numbered {number}")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an input was refused: the reason, extra lines for the ER body, and the input quoted.

    ``detail`` is the rest of the reason line (``REFER TO RQ MKE OPTIONS BELOW``) followed by
    any further lines (the valid field combinations). ``ori`` is the sender when the header was
    readable enough to tell, so the ER can be addressed to it; ``control`` the requester's
    control field when the header got that far, so the ER echoes it like any other reply.
    """

    reason: ErReason
    original: str
    detail: tuple[str, ...] = ()
    ori: str | None = None
    control: str | None = None

    @classmethod
    def of(
        cls,
        reason: ErReason,
        raw: str,
        *detail: str,
        ori: str | None = None,
        control: str | None = None,
    ) -> Rejection:
        return cls(reason, raw[:ORIGINAL_LIMIT], tuple(detail), ori, control)
