"""Per-state licence-number and plate formats in a tiny pattern language, and unique draws.

A pattern is read one character at a time: ``A`` is any letter, ``9`` any digit, ``X`` any
letter or digit, ``V`` any character a VIN allows, and every other character stands for
itself. The formats imitate the shape of each state's real numbers (CA: a letter and 7 digits;
NY: 9 digits; FL: a letter and 12 digits) without claiming to be exact; the numbers drawn from
them are synthetic.
"""

from __future__ import annotations

import math
import random
from itertools import product

from stateline.node.records.vin import VIN_ALPHABET

_CLASSES = {
    "A": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "9": "0123456789",
    "X": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "V": VIN_ALPHABET,
}

FORMATS: dict[str, tuple[str, str]] = {
    # state: (OLN pattern, plate pattern)
    "AK": ("9999999", "AAA999"),
    "AL": ("99999999", "99A999A"),
    "AR": ("999999999", "999AAA"),
    "AZ": ("A99999999", "AAA9999"),
    "CA": ("A9999999", "9AAA999"),
    "CO": ("999999999", "AAA999"),
    "CT": ("999999999", "AA99999"),
    "DC": ("9999999", "AA9999"),
    "DE": ("9999999", "999999"),
    "FL": ("A999999999999", "AAAA99"),
    "GA": ("999999999", "AAA9999"),
    "HI": ("H99999999", "AAA999"),
    "IA": ("999AA9999", "AAA999"),
    "ID": ("AA999999A", "9A99999"),
    "IL": ("A99999999999", "AA99999"),
    "IN": ("9999999999", "999AAA"),
    "KS": ("K99999999", "999AAA"),
    "KY": ("A99999999", "999AAA"),
    "LA": ("999999999", "999AAA"),
    "MA": ("S99999999", "9AA999"),
    "MD": ("A999999999999", "9AA9999"),
    "ME": ("9999999", "9999AA"),
    "MI": ("A999999999999", "AAA9999"),
    "MN": ("A999999999999", "999AAA"),
    "MO": ("A999999999", "AA9A9A"),
    "MS": ("999999999", "AAA9999"),
    "MT": ("9999999999999", "9999999A"),
    "NC": ("999999999999", "AAA9999"),
    "ND": ("AAA999999", "999AAA"),
    "NE": ("A99999999", "AAA999"),
    "NH": ("99AAA99999", "9999999"),
    "NJ": ("A99999999999999", "A99AAA"),
    "NM": ("999999999", "AAA999"),
    "NV": ("9999999999", "999A99"),
    "NY": ("999999999", "AAA9999"),
    "OH": ("AA999999", "AAA9999"),
    "OK": ("A999999999", "AAA999"),
    "OR": ("999999999", "999AAA"),
    "PA": ("99999999", "AAA9999"),
    "RI": ("9999999", "AA999"),
    "SC": ("999999999", "AAA999"),
    "SD": ("99999999", "9A9999"),
    "TN": ("999999999", "999AAAA"),
    "TX": ("99999999", "AAA9999"),
    "UT": ("999999999", "A999AA"),
    "VA": ("A99999999", "AAA9999"),
    "VT": ("99999999", "AAA999"),
    "WA": ("WDLXXXXXXXXX", "AAA9999"),
    "WI": ("A9999999999999", "AAA9999"),
    "WV": ("A999999", "9AA999"),
    "WY": ("999999999", "99999"),
}
"""Every jurisdiction that runs a node: the 50 states and DC."""


def capacity(pattern: str) -> int:
    """How many distinct strings ``pattern`` can produce."""
    return math.prod(len(_CLASSES.get(c, c)) for c in pattern)


def _runs(pattern: str) -> list[tuple[str, int]]:
    """``pattern`` cut into runs of one character: ``"A9999"`` -> ``[("A", 1), ("9", 4)]``."""
    runs: list[tuple[str, int]] = []
    for c in pattern:
        if runs and runs[-1][0] == c:
            runs[-1] = (c, runs[-1][1] + 1)
        else:
            runs.append((c, 1))
    return runs


def _chunks(width: int, most: int) -> list[int]:
    """``width`` split into parts of at most ``most``: ``(9, 3)`` -> ``[3, 3, 3]``."""
    return [most] * (width // most) + ([width % most] if width % most else [])


class UniqueDraw:
    """Distinct, scattered strings of one pattern: the ``n``-th draw never repeats an earlier one.

    Draw ``n`` is ``(step * n + offset) mod capacity`` written in the pattern's mixed radix;
    ``step`` is coprime with the capacity, so the map is a permutation. That keeps every
    number unique without remembering the numbers already given, which a million-person
    population could not afford.
    """

    __slots__ = ("_pieces", "offset", "pattern", "size", "step")

    def __init__(self, pattern: str, step: int, offset: int) -> None:
        self.pattern = pattern
        self.size = capacity(pattern)
        if math.gcd(step, self.size) != 1:
            raise ValueError("step must be coprime with the pattern's capacity")
        self.step = step
        self.offset = offset
        # Digit runs are written with one format; other runs in chunks of up to three
        # characters looked up in a table of every combination, far cheaper than char by char.
        self._pieces: list[tuple[int, str | list[str]]] = []
        for c, width in reversed(_runs(pattern)):
            if c == "9":
                self._pieces.append((10**width, f"%0{width}d"))
            elif c in _CLASSES:
                for chunk in reversed(_chunks(width, 3)):
                    table = ["".join(t) for t in product(_CLASSES[c], repeat=chunk)]
                    self._pieces.append((len(table), table))
            else:
                self._pieces.append((1, c * width))

    @classmethod
    def seeded(cls, pattern: str, rng: random.Random) -> UniqueDraw:
        size = capacity(pattern)
        step = rng.randrange(size // 3, size) or 1
        while math.gcd(step, size) != 1:
            step += 1
        return cls(pattern, step % size or 1, rng.randrange(size))

    def __call__(self, n: int) -> str:
        if n >= self.size:
            raise ValueError(f"pattern {self.pattern} holds only {self.size} distinct values")
        value = (self.step * n + self.offset) % self.size
        out = []
        for radix, piece in self._pieces:
            value, part = divmod(value, radix)
            out.append(
                piece[part] if isinstance(piece, list) else piece if radix == 1 else piece % part
            )
        return "".join(reversed(out))
