"""The mailbox: replies for their sender only, until they expire; late replies join the others."""

from datetime import UTC, datetime, timedelta

from stateline.hub.mailbox import Mailbox
from stateline.wire.errors import ErReason
from stateline.wire.grammar import MKE
from stateline.wire.messages import (
    AdminMessage,
    ErrorMessage,
    Header,
    OutputHeader,
    Response,
    StatusMessage,
)

NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
REPLY = Response(Header(MKE.DR, "NYOLN0000", ("NYSTP0000",)), (), ("NOT ON FILE",))


def test_replies_are_for_their_sender_only() -> None:
    box = Mailbox()
    box.hold("m1", "NYSTP0000", (REPLY,), NOW)
    assert box.replies("m1", "NYSTP0000", NOW) == (REPLY,)
    assert box.replies("m1", "NJSTP0000", NOW) is None
    assert box.replies("m2", "NYSTP0000", NOW) is None


def test_replies_expire() -> None:
    box = Mailbox(ttl=timedelta(minutes=5))
    box.hold("m1", "NYSTP0000", (REPLY,), NOW)
    assert box.replies("m1", "NYSTP0000", NOW + timedelta(minutes=6)) is None


def test_capacity_drops_the_oldest() -> None:
    box = Mailbox(capacity=2)
    for n in range(3):
        box.hold(f"m{n}", "NYSTP0000", (REPLY,), NOW)
    assert box.replies("m0", "NYSTP0000", NOW) is None
    assert box.replies("m2", "NYSTP0000", NOW) == (REPLY,)


def test_a_late_reply_joins_the_earlier_ones() -> None:
    box = Mailbox()
    held = StatusMessage(Header(MKE.SM, "NL0000000", ("NYSTP0000",)), ("HELD",))
    box.hold("m1", "NYSTP0000", (held,), NOW)
    box.add("m1", "NYSTP0000", REPLY, NOW)
    assert box.replies("m1", "NYSTP0000", NOW) == (held, REPLY)


def test_administrative_messages_wait_in_the_recipients_inbox() -> None:
    box = Mailbox()
    message = AdminMessage(Header(MKE.AM, "NYSTP0000", ("NJSTP0000",)), ("CALL ME",))
    box.deliver("m1", "NJSTP0000", message)
    assert box.inbox("NJSTP0000") == [("m1", message)]
    assert box.inbox("NYSTP0000") == []


def test_held_replies_are_text_and_come_back_as_they_were() -> None:
    # Held as text, a reply is one string the garbage collector never walks; fetched, it is
    # the same reply again: output header, records, control field, error echo and all.
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
    box = Mailbox()
    box.hold("m1", "NYSTP0000", (answer, error), NOW)
    assert all(isinstance(held, str) for held in box._replies["m1"].replies)
    assert box.replies("m1", "NYSTP0000", NOW) == (answer, error)
