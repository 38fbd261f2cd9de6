"""The mailbox: replies for their sender only, until they expire; late replies join the others."""

from datetime import UTC, datetime, timedelta

from stateline.hub.mailbox import Mailbox
from stateline.wire.grammar import MKE
from stateline.wire.messages import AdminMessage, Header, Response, StatusMessage

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
