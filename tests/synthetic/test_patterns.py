"""The pattern language and unique draws from it."""

from __future__ import annotations

import random

import pytest

from stateline.synthetic.patterns import FORMATS, UniqueDraw, capacity


def test_capacity_counts_every_string() -> None:
    assert capacity("A9999999") == 26 * 10**7
    assert capacity("WDL99") == 100
    assert capacity("V") == 33


def test_a_small_pattern_is_drawn_exhaustively_without_repeats() -> None:
    draw = UniqueDraw.seeded("A9A", random.Random(1))
    values = [draw(n) for n in range(capacity("A9A"))]
    assert len(set(values)) == len(values)
    assert all(v[0].isalpha() and v[1].isdigit() and v[2].isalpha() for v in values)


def test_literals_stay_put() -> None:
    draw = UniqueDraw.seeded("WDLXXXXXXXXX", random.Random(2))
    assert all(draw(n).startswith("WDL") and len(draw(n)) == 12 for n in range(50))


def test_a_draw_past_the_capacity_is_refused() -> None:
    draw = UniqueDraw.seeded("99", random.Random(3))
    with pytest.raises(ValueError, match="holds only 100"):
        draw(100)


def test_a_step_sharing_a_factor_with_the_capacity_is_refused() -> None:
    with pytest.raises(ValueError, match="coprime"):
        UniqueDraw("99", 5, 0)


def test_licence_formats_hold_the_largest_state() -> None:
    assert min(capacity(oln) for oln, _ in FORMATS.values()) >= 10**7
    assert min(capacity(plate) for _, plate in FORMATS.values()) >= 10**5
