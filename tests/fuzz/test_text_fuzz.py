"""Any string at all parses to a valid message or a numbered ER; the text parser never raises."""

from __future__ import annotations

import os
import random

from hypothesis import given
from hypothesis import strategies as st

from stateline.wire import checks, text
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import MAX_MESSAGE, MAX_REPLY

from .invariants import assert_answer
from .strategies import EXAMPLES, FUZZ, messages

_PREFIXES = [
    "DQ.AZNLETS20.NY.TXT\n",
    "RQ.AZNLETS20.AZ.CA.CTRL1.TXT\n",
    "KQ.AZNLETS20.AZ.TXT",
    "DR.NYOLN0000.AZNLETS20.TXT\n",
    "AM.AZNLETS20.NL.TXT\n",
    "ER.NL0000000.AZNLETS20.TXT\n.22. INVALID MESSAGE FORMAT",
    "DR.NYOLN0000\n08:00 01/01/2010 01239\n08:00 01/01/2011 01233 AZNLETS20\nTXT\n",
    "SM.NL0000000.CTRL-9\n23:59 12/31/2025 99999\n00:00 01/01/2026 00000 AZNLETS20\nTXT\n",
]
# Characters that carry meaning in the format, so mutations hit the grammar's edges.
_SYNTAX = ".\n\r/TXT,- 0123456789ABDNLORQS"


@FUZZ
@given(st.text())
def test_any_text(raw: str) -> None:
    assert_answer(text.parse(raw))


@FUZZ
@given(st.sampled_from(_PREFIXES), st.text(_SYNTAX) | st.text())
def test_any_body_after_a_good_header(prefix: str, body: str) -> None:
    assert_answer(text.parse(prefix + body))


@FUZZ
@given(st.binary())
def test_binary_garbage(data: bytes) -> None:
    assert_answer(text.parse(data.decode("latin-1")))


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    raw = text.encode(draw(messages))
    for _ in range(draw(st.integers(1, 4))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert"]))
        if action == "delete":
            raw = raw[:at] + raw[at + 1 :]
        elif action == "duplicate":
            raw = raw[: at + 1] + raw[at:]
        elif action == "swap" and at + 1 < len(raw):
            raw = raw[:at] + raw[at + 1] + raw[at] + raw[at + 2 :]
        else:
            raw = raw[:at] + draw(st.sampled_from(_SYNTAX)) + raw[at:]
    return raw


@FUZZ
@given(_mutated())
def test_mutated_messages(raw: str) -> None:
    assert_answer(text.parse(raw))


@FUZZ
@given(
    _mutated() | messages.map(text.encode) | st.sampled_from(_PREFIXES).map(lambda p: p + "OLN/D1")
)
def test_the_fast_header_path_agrees_with_the_field_by_field_path(raw: str) -> None:
    """The one-regex header read is only a shortcut: the slow path gives the same answer."""
    normal = checks.line_ends(raw)
    assert text._parse_slow(normal) == text.parse(raw)


def test_random_mutations_fast() -> None:
    """A plain loop (no shrinking) for volume: 50 mutations per Hypothesis example budget."""
    rng = random.Random(int(os.environ.get("STATELINE_FUZZ_SEED", "2010")))
    corpus = [p + "OLN/D1111.NAM/SMITH,JOHN.DOB/19500101.SEX/M" for p in _PREFIXES]
    corpus.append("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC")
    for _ in range(EXAMPLES * 50):
        raw = list(rng.choice(corpus))
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(raw) + 1)
            roll = rng.random()
            if roll < 0.4 and at < len(raw):
                del raw[at]
            elif roll < 0.6 and at < len(raw):
                raw.insert(at, raw[at])
            elif roll < 0.8 and at + 1 < len(raw):
                raw[at], raw[at + 1] = raw[at + 1], raw[at]
            else:
                raw.insert(at, rng.choice(_SYNTAX))
        assert_answer(text.parse("".join(raw)))


def test_long_runs_of_line_end_characters() -> None:
    """Inputs that would make a careless line-end reader or splitter quadratic."""
    for raw in (
        "DR." + "\r" * (MAX_REPLY - 3),
        "DR.NYOLN0000.AZNLETS20.TXT\n" + "\n" * MAX_MESSAGE,
    ):
        assert_answer(text.parse(raw))
    assert checks.line_ends("\r" * 1000 + "\n" + "\r") == "\n\r"


def test_huge_inputs_are_refused_before_parsing() -> None:
    for raw in ("DQ." + "A" * 10_000_000, "\r\n" * (MAX_MESSAGE + 1), "DR." + "X" * MAX_REPLY):
        result = text.parse(raw)
        assert isinstance(result, Rejection)
        assert result.reason is ErReason.MESSAGE_TOO_LONG
        assert len(result.original) == 100
