"""A late answer that comes twice (a node or a transport that sent it again) is kept in the
requester's mailbox once, and logged once."""

from __future__ import annotations

from stateline.bootstrap import System
from stateline.wire.grammar import MKE
from stateline.wire.messages import Header, Response

LOCAL = "NYSTP0000"


def test_the_same_late_answer_twice_is_kept_once(own_system: System) -> None:
    # An exchange of the test's own: this answer has no ledger entries behind it, which the
    # shared exchange's reconciliations would rightly count.
    exchange = own_system.exchange
    answer = Response(Header(MKE.DR, "NYOLN0000", (LOCAL,), None), (), ("NOT ON FILE",))
    other = Response(Header(MKE.DR, "NJOLN0000", (LOCAL,), None), (), ("NOT ON FILE",))
    for reply in (answer, answer, other):
        exchange.switch.late(  # type: ignore[misc]
            "m-late-twice", reply.header.ori[:2], reply
        )
    waiting = [w for w in exchange.waiting(LOCAL) if w.message_id == "m-late-twice"]
    assert sorted(w.message.header.ori for w in waiting) == ["NJOLN0000", "NYOLN0000"]
    logged = own_system.log.answers_to(["m-late-twice"])
    assert sorted(a.state for a in logged) == ["NJ", "NY"]
