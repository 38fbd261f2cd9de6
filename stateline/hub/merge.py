"""Merging a multi-state query: drop the no-hits, keep the rest, and summarise who answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stateline.hub.routing import Route
from stateline.wire.grammar import MKE, NOT_ON_FILE, SWITCH_ORI
from stateline.wire.messages import Header, Reply, Response, StatusMessage


@dataclass(frozen=True, slots=True)
class Tally:
    """Which states were queried, hit, not on file, refused (denied or held) and silent."""

    queried: tuple[str, ...]
    hit: tuple[str, ...]
    not_on_file: tuple[str, ...]
    refused: tuple[str, ...]
    silent: tuple[str, ...]


def is_no_hit(reply: Reply) -> bool:
    return isinstance(reply, Response) and not reply.records and NOT_ON_FILE in reply.text


def tally(routes: Sequence[Route], answers: Mapping[str, Reply | None]) -> Tally:
    hit, not_on_file, refused, silent = [], [], [], []
    for route in routes:
        reply = answers.get(route.state)
        if reply is None:
            silent.append(route.state)
        elif isinstance(reply, Response) and reply.records:
            hit.append(route.state)
        elif is_no_hit(reply):
            not_on_file.append(route.state)
        else:
            refused.append(route.state)
    return Tally(
        tuple(r.state for r in routes),
        tuple(hit),
        tuple(not_on_file),
        tuple(refused),
        tuple(silent),
    )


def summary(header: Header, counts: Tally) -> StatusMessage:
    """The SM appended to a multi-state answer; lists each group with its count."""

    def line(label: str, states: tuple[str, ...]) -> str:
        return f"{label}: {len(states)}" + (" " + " ".join(states) if states else "")

    text = (
        f"MULTI-STATE {header.mke} SUMMARY",
        line("QUERIED", counts.queried),
        line("HIT", counts.hit),
        line("NOT ON FILE", counts.not_on_file),
        line("REFUSED", counts.refused),
        line("NO RESPONSE", counts.silent),
    )
    return status(header, *text)


def status(query: Header, *lines: str) -> StatusMessage:
    """An SM from the switch to the sender of ``query``, echoing its control field."""
    return StatusMessage(Header(MKE.SM, SWITCH_ORI, (query.ori,), query.control), lines)


def merge(
    header: Header, routes: Sequence[Route], answers: Mapping[str, Reply | None]
) -> list[Reply]:
    """The replies a multi-state query gets: every answer but the no-hits, then the summary."""
    kept: list[Reply] = []
    for route in routes:
        reply = answers.get(route.state)
        if reply is not None and not is_no_hit(reply):
            kept.append(reply)
    kept.append(summary(header, tally(routes, answers)))
    return kept
