"""Vehicle identification numbers: the ISO 3779 / NHTSA check digit and model-year code."""

from __future__ import annotations

from operator import mul

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
"""Characters a VIN may hold: every digit and letter except I, O and Q (49 CFR 565.15)."""

_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
"""The transliteration of 49 CFR 565.15, table IV: each character's numeric value."""

_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
"""Position weights (table V); position 9, the check digit itself, weighs nothing."""

_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
"""Position 10: the model year, repeating every 30 years from 1980 (A) and 2010 (A)."""


def check_digit(vin: str) -> str:
    """The check digit (``0``-``9`` or ``X``) that belongs in position 9 of ``vin``."""
    if len(vin) != 17:
        raise ValueError("a VIN has 17 characters")
    remainder = sum(map(mul, map(_VALUES.__getitem__, vin), _WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid(vin: str) -> bool:
    """True when ``vin`` has 17 permitted characters and a correct check digit."""
    if len(vin) != 17 or any(c not in _VALUES for c in vin):
        return False
    return vin[8] == check_digit(vin)


def year_code(year: int) -> str:
    """The position-10 character for a model year (1980 onwards)."""
    return _YEAR_CODES[(year - 1980) % 30]


def with_check_digit(vin: str) -> str:
    """``vin`` (17 characters, position 9 anything) with its correct check digit in place."""
    body = vin[:8] + "0" + vin[9:]
    return body[:8] + check_digit(body) + body[9:]
