"""Ranking people against a queried name as state DMV systems do: a 0-100 score, best first.

The score weighs the surname (half), the given name (two fifths) and sex (a tenth). Each name
compares by Jaro-Winkler similarity, raised when the spellings sound alike (Metaphone, NYSIIS,
Soundex); a given name that is a known nickname of the other (JON, JOHN) counts as nearly equal;
one half of a double surname (GARCIA for GARCIA-LOPEZ) counts as a strong match. Candidates
scoring under the threshold are dropped: they are not possible matches, only noise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import jellyfish

from stateline.node.records.model import NameMatch, Person
from stateline.node.records.nicknames import same_given_name
from stateline.node.records.phonetic import agreement, compact, fold, significant_parts

DEFAULT_THRESHOLD = 75
"""Lowest score returned. A different given name on the same surname and DOB scores about 60."""

SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV"})
"""Generational suffixes recognised at the end of a name (V is read as a middle initial)."""

_SURNAME_WEIGHT = 0.5
_GIVEN_WEIGHT = 0.4
_SEX_WEIGHT = 0.1
_HALF_OF_DOUBLE = 0.92  # GARCIA against GARCIA-LOPEZ: strong, but below an exact match
_NICKNAME = 0.95
_INITIAL = 0.85
_UNKNOWN_SEXES = frozenset({"U", ""})


def _jw(a: str, b: str) -> float:
    return float(jellyfish.jaro_winkler_similarity(a, b))


@dataclass(frozen=True, slots=True)
class NameQuery:
    """A queried name, normalised: upper-case letters, suffix split off, particles kept."""

    last: str
    first: str
    middle: str = ""
    suffix: str = ""

    @classmethod
    def of(cls, last: str, first: str, middle: str = "", suffix: str = "") -> NameQuery:
        """Normalise a name given in parts; extra words after ``first`` become the middle name
        and a trailing JR, SR, II... on any part becomes the suffix."""
        surname = fold(last).replace(",", " ").split()
        given = fold(f"{first} {middle}").replace(",", " ").replace("-", " ").split()
        found = fold(suffix).replace(" ", "")
        for words in (surname, given):
            while len(words) > 1 and words[-1] in SUFFIXES:
                found = found or words[-1]
                words.pop()
        return cls(" ".join(surname), given[0] if given else "", " ".join(given[1:]), found)


def parse_nam(value: str) -> NameQuery:
    """A NAM/ value, ``LAST,FIRST MIDDLE SUFFIX`` (NLETS-FORMAT "Tags"), as a query."""
    last, _, rest = value.partition(",")
    return NameQuery.of(last, rest)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """The query-side work done once per search rather than once per candidate."""

    query: NameQuery
    compact: str
    parts: frozenset[str]
    sex: str


def _prepare(query: NameQuery, sex: str) -> _Prepared:
    parts = frozenset(significant_parts(query.last))
    return _Prepared(query, compact(query.last), parts, sex.upper())


def _surname_similarity(q: _Prepared, last: str) -> float:
    candidate = compact(last)
    if candidate == q.compact:
        return 1.0  # DELACRUZ is DE LA CRUZ, GARCIALOPEZ is GARCIA-LOPEZ
    best = _jw(q.compact, candidate)
    sound = agreement(q.compact, candidate)
    parts = frozenset(significant_parts(last))
    if q.parts and parts and (q.parts <= parts or parts <= q.parts):
        best = max(best, _HALF_OF_DOUBLE)
    elif len(q.parts) > 1 or len(parts) > 1:
        # A misspelt half of a double surname: compare the halves, a little discounted.
        for mine in q.parts:
            for theirs in parts:
                best = max(best, 0.9 * _jw(mine, theirs))
                sound = max(sound, agreement(mine, theirs))
    return best + (1.0 - best) * sound


def _given_similarity(first: str, candidate: str, candidate_middle: str) -> float:
    if not first or not candidate:
        return 0.5  # unknown: neither evidence for nor against
    if first == candidate:
        return 1.0
    if same_given_name(first, candidate):
        return _NICKNAME
    if len(first) == 1 or len(candidate) == 1:
        return _INITIAL if first[0] == candidate[0] else 0.0
    similarity = _jw(first, candidate)
    similarity += (1.0 - similarity) * agreement(first, candidate)
    if candidate_middle and first == candidate_middle.split()[0]:
        similarity = max(similarity, 0.8)  # known by their middle name
    return similarity


def _score(q: _Prepared, person: Person) -> int:
    first = fold(person.first)
    middle = fold(person.middle)
    total = (
        _SURNAME_WEIGHT * _surname_similarity(q, person.last)
        + _GIVEN_WEIGHT * _given_similarity(q.query.first, first, middle)
        + _SEX_WEIGHT * (q.sex in _UNKNOWN_SEXES or q.sex == person.sex)
    )
    if q.query.middle and middle and q.query.middle[0] != middle[0]:
        total -= 0.05
    if q.query.suffix and person.suffix and q.query.suffix != fold(person.suffix):
        total -= 0.05  # JR and SR of one name are two people
    return max(0, min(100, round(100 * total)))


def score(query: NameQuery, sex: str, person: Person) -> int:
    """How well ``person`` matches a queried name and sex, 0-100 (100: exactly)."""
    return _score(_prepare(query, sex), person)


def rank(
    query: NameQuery,
    sex: str,
    people: Iterable[Person],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    limit: int = 10,
) -> list[NameMatch]:
    """``people`` scored against the query, best first (ties by id), at most ``limit`` of them,
    none under ``threshold``."""
    prepared = _prepare(query, sex)
    matches = [NameMatch(person, _score(prepared, person)) for person in people]
    kept = [m for m in matches if m.score >= threshold]
    kept.sort(key=lambda m: (-m.score, m.person.id))
    return kept[:limit]
