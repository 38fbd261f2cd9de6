"""VIN check digits (49 CFR 565.15) and model-year codes."""

from __future__ import annotations

import pytest

from stateline.node.records.vin import check_digit, is_valid, with_check_digit, year_code


def test_the_textbook_example_has_check_digit_x() -> None:
    assert check_digit("1M8GDM9AXKP042788") == "X"
    assert is_valid("1M8GDM9AXKP042788")


def test_all_ones_is_valid() -> None:
    assert is_valid("11111111111111111")


def test_a_changed_character_breaks_the_check_digit() -> None:
    assert not is_valid("1M8GDM9AXKP042789")
    assert not is_valid("1M8GDM9AXKP04278")  # 16 characters
    assert not is_valid("1M8GDM9AXKP0427O8")  # the letter O is never used


def test_with_check_digit_fills_position_nine() -> None:
    assert with_check_digit("1M8GDM9A?KP042788".replace("?", "0")) == "1M8GDM9AXKP042788"


@pytest.mark.parametrize(
    ("year", "code"), [(1980, "A"), (2000, "Y"), (2001, "1"), (2009, "9"), (2010, "A"), (2025, "S")]
)
def test_year_codes(year: int, code: str) -> None:
    assert year_code(year) == code
