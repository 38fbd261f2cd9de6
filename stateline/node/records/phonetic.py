"""Name normalisation and the phonetic keys a name search retrieves candidates by.

A surname is indexed under the Soundex and Metaphone keys of its compact form (DE LA CRUZ ->
DELACRUZ) and of each of its significant parts (GARCIA-LOPEZ -> GARCIA, LOPEZ), so a search by
any spelling that sounds alike, by one half of a double surname or with the spaces left out
reaches the record.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish

PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "DA", "DAS", "DO", "DOS", "DI", "DU"} | {
    "VAN", "VON", "DER", "DEN", "TER", "ST", "SAINT", "LE", "EL", "AL", "BIN", "IBN", "Y"
})  # fmt: skip
"""Words that join a double surname; alone they identify no one, so they get no key."""

_DROPPED = re.compile(r"['`\u2019.]")
_SEPARATORS = re.compile(r"[^A-Z ,\-]+")
_SPACES = re.compile(r" +")
_LETTERS = re.compile(r"[^A-Z]")

MAX_KEY = 16
"""Longest key stored; Metaphone of a long compound surname is cut to this."""


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Upper-case ASCII: accents dropped (MUÑOZ -> MUNOZ), apostrophes and full stops removed
    (O'BRIEN -> OBRIEN), anything else but letters, spaces, commas and hyphens made a space."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _DROPPED.sub("", ascii_text.upper())
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", text)).strip()


def compact(name: str) -> str:
    """Letters only: ``DE LA CRUZ`` and ``GARCIA-LOPEZ`` become ``DELACRUZ`` and ``GARCIALOPEZ``."""
    return _LETTERS.sub("", fold(name))


def name_parts(name: str) -> tuple[str, ...]:
    """The words of a name, split at spaces and hyphens: ``GARCIA-LOPEZ`` -> ``(GARCIA, LOPEZ)``."""
    return tuple(part for part in fold(name).replace("-", " ").replace(",", " ").split() if part)


def significant_parts(name: str) -> tuple[str, ...]:
    """The parts of a surname that identify someone: particles (DE, LA, VAN) left out."""
    return tuple(p for p in name_parts(name) if p not in PARTICLES and len(p) > 1)


@lru_cache(maxsize=65536)
def word_keys(word: str) -> tuple[str, ...]:
    """Phonetic keys of one word: Soundex (``S:S530``) and Metaphone (``M:SM0``)."""
    keys = [f"S:{jellyfish.soundex(word)}"]
    metaphone = jellyfish.metaphone(word)[:MAX_KEY]
    if metaphone:
        keys.append(f"M:{metaphone}")
    return tuple(keys)


@lru_cache(maxsize=65536)
def surname_keys(last: str) -> frozenset[str]:
    """Every key a surname is indexed and searched under: its compact form and each part."""
    words = {compact(last), *significant_parts(last)}
    return frozenset(key for word in words if word for key in word_keys(word))


@lru_cache(maxsize=65536)
def agreement(a: str, b: str) -> float:
    """How strongly two spellings sound alike: 0.5 when their Metaphone keys agree, 0.25 when
    only NYSIIS or Soundex do (coarser codes: NYSIIS makes JOHN and JAMES both JAN), else 0."""
    if not a or not b:
        return 0.0
    if jellyfish.metaphone(a) == jellyfish.metaphone(b):
        return 0.5
    if jellyfish.nysiis(a) == jellyfish.nysiis(b) or jellyfish.soundex(a) == jellyfish.soundex(b):
        return 0.25
    return 0.0
