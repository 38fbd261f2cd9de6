"""Merging multi-state answers: no-hits dropped, everything else kept, a summary of who answered."""

from stateline.hub.merge import merge, tally
from stateline.hub.routing import Route
from stateline.wire.grammar import MKE, NOT_ON_FILE, SWITCH_ORI
from stateline.wire.messages import Header, Reply, Response, StatusMessage

QUERY = Header(MKE.DQ, "NY0010100", ("NY", "NJ", "CT", "PA"), "CTRL1")
ROUTES = [Route(s, f"{s}OLN0000") for s in ("NY", "NJ", "CT", "PA")]


def answer(state: str, *, hit: bool) -> Response:
    header = Header(MKE.DR, f"{state}OLN0000", ("NY0010100",), "CTRL1")
    if hit:
        return Response(header, ((("OLN", "123"), ("NAM", "DOE,JANE")),))
    return Response(header, (), (NOT_ON_FILE,))


def test_merge_drops_no_hits_and_appends_the_summary() -> None:
    denied = Response(Header(MKE.DR, "CTOLN0000", ("NY0010100",)), (), ("REQUEST DENIED",))
    answers: dict[str, Reply | None] = {
        "NY": answer("NY", hit=True),
        "NJ": answer("NJ", hit=False),
        "CT": denied,
        "PA": None,
    }
    replies = merge(QUERY, ROUTES, answers)
    assert replies[:2] == [answers["NY"], denied]
    summary = replies[-1]
    assert isinstance(summary, StatusMessage)
    assert summary.header == Header(MKE.SM, SWITCH_ORI, ("NY0010100",), "CTRL1")
    assert summary.text == (
        "MULTI-STATE DQ SUMMARY",
        "QUERIED: 4 NY NJ CT PA",
        "HIT: 1 NY",
        "NOT ON FILE: 1 NJ",
        "REFUSED: 1 CT",
        "NO RESPONSE: 1 PA",
    )


def test_tally_counts_every_state_once() -> None:
    answers: dict[str, Reply | None] = {s: answer(s, hit=False) for s in ("NY", "NJ", "CT", "PA")}
    counts = tally(ROUTES, answers)
    assert counts.not_on_file == ("NY", "NJ", "CT", "PA")
    assert counts.hit == counts.silent == counts.refused == ()
