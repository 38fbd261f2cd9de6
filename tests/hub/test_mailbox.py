"""The mailbox's rules: how long it keeps replies, and kept text read back as it was."""

from datetime import UTC, datetime, timedelta

import pytest

from stateline.hub.mailbox import Keeping, parsed_admin, parsed_reply
from stateline.wire import text
from stateline.wire.errors import ErReason
from stateline.wire.grammar import MKE
from stateline.wire.messages import (
    AdminMessage,
    ErrorMessage,
    Header,
    OutputHeader,
    Response,
)

NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
REPLY = Response(Header(MKE.DR, "NYOLN0000", ("NYSTP0000",)), (), ("NOT ON FILE",))


def test_replies_are_kept_an_hour_and_late_ones_a_week_by_default() -> None:
    keeping = Keeping()
    assert keeping.reply_expires(NOW) == NOW + timedelta(hours=1)
    assert keeping.late_expires(NOW) == NOW + timedelta(days=7)


def test_an_am_comes_back_as_it_was() -> None:
    message = AdminMessage(Header(MKE.AM, "NYSTP0000", ("NJSTP0000",)), ("CALL ME",))
    assert parsed_admin(text.encode(message)) == message
    with pytest.raises(ValueError):
        parsed_admin(text.encode(REPLY))


def test_held_replies_are_text_and_come_back_as_they_were() -> None:
    # Kept as text, a reply fetched is the same reply again: output header, records, control
    # field, error echo and all.
    output = OutputHeader(NOW, 7, NOW + timedelta(minutes=1), 12)  # stamps: to the minute
    answer = Response(
        Header(MKE.DR, "NYOLN0000", ("NYSTP0000",), control="CASE-12"),
        (
            (("OLN", "123456789"), ("NAM", "SMITH, JOHN Q"), ("DOB", "19800102")),
            (("NAM", "SMITH-JONES, ANN"), ("SEX", "F")),
        ),
        ("POSSIBLE MATCHES: 2",),
        output,
    )
    error = ErrorMessage(
        Header(MKE.ER, "NL0000000", ("NYSTP0000",)),
        ErReason.FIELDS_MISSING,
        ("MISSING OLN/",),
        "DQ.NYSTP0000.NY.TXT",
        output,
    )
    assert [parsed_reply(text.encode(r)) for r in (answer, error)] == [answer, error]
