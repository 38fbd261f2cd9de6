"""Name ranking: misspellings, nicknames, double surnames, order and the threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from stateline.node.records.model import Person
from stateline.node.records.search import (
    DEFAULT_THRESHOLD,
    NameQuery,
    parse_nam,
    rank,
    score,
)
from stateline.synthetic.people import generate_people

BASE = next(generate_people("CA", 1))


def person(
    last: str, first: str, sex: str = "M", *, id: int = 1, middle: str = "", suffix: str = ""
) -> Person:
    return replace(BASE, id=id, last=last, first=first, sex=sex, middle=middle, suffix=suffix)


def test_exact_match_scores_100() -> None:
    assert score(NameQuery.of("SMITH", "JOHN"), "M", person("SMITH", "JOHN")) == 100


@pytest.mark.parametrize(
    ("last", "first", "stored_last", "stored_first"),
    [
        ("SMYTH", "JOHN", "SMITH", "JOHN"),
        ("SMITH", "JON", "SMITH", "JOHN"),
        ("SMYTH", "JON", "SMITH", "JOHN"),
        ("SMITH", "BILL", "SMITH", "WILLIAM"),
        ("SMITH", "WILL", "SMITH", "WILLIAM"),
        ("JONSON", "BOB", "JOHNSON", "ROBERT"),
        ("SMITH", "JACK", "SMITH", "JOHN"),
        ("GARCIA", "JOSE", "GARCIA-LOPEZ", "JOSE"),
        ("LOPEZ", "JOSE", "GARCIA-LOPEZ", "JOSE"),
        ("GARCIALOPEZ", "JOSE", "GARCIA-LOPEZ", "JOSE"),
        ("GARCIA LOPEZ", "JOSE", "GARCIA-LOPEZ", "JOSE"),
        ("DELACRUZ", "JOSE", "DE LA CRUZ", "JOSE"),
        ("OBRIEN", "SEAN", "O'BRIEN", "SEAN"),
        ("MUÑOZ", "JOSE", "MUNOZ", "JOSE"),
        ("KATZ", "DAVID", "CATZ", "DAVID"),
        ("MARTINES", "JOSE", "MARTINEZ", "JOSE"),
        ("SMITH", "J", "SMITH", "JOHN"),
    ],
)
def test_possible_matches_are_found(
    last: str, first: str, stored_last: str, stored_first: str
) -> None:
    found = rank(NameQuery.of(last, first), "M", [person(stored_last, stored_first)])
    assert found and found[0].score >= 85


def test_exact_match_ranks_first_and_others_by_score() -> None:
    candidates = [
        person("SMYTHE", "JOHN", id=1),
        person("SMITH", "JON", id=2),
        person("SMITH", "JOHN", id=3),
        person("SMITH", "JOHN", "F", id=4),
        person("SMITH", "JOHNATHAN", id=5),
    ]
    found = rank(NameQuery.of("SMITH", "JOHN"), "M", candidates)
    assert found[0].person.id == 3 and found[0].score == 100
    scores = [m.score for m in found]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) > 2


def test_ties_keep_id_order_and_limit_cuts_the_tail() -> None:
    candidates = [person("SMITH", "JOHN", id=i) for i in (5, 2, 9, 1)]
    found = rank(NameQuery.of("SMITH", "JOHN"), "M", candidates, limit=3)
    assert [m.person.id for m in found] == [1, 2, 5]


def test_candidates_under_the_threshold_are_dropped() -> None:
    query = NameQuery.of("SMITH", "JOHN")
    different = person("SMITH", "MARY", "F")
    assert score(query, "M", different) < DEFAULT_THRESHOLD
    assert rank(query, "M", [different]) == []
    assert rank(query, "M", [different], threshold=0)


def test_a_different_sex_lowers_the_score() -> None:
    query = NameQuery.of("SMITH", "JOHN")
    assert score(query, "F", person("SMITH", "JOHN")) < 100
    assert score(query, "U", person("SMITH", "JOHN")) == 100


def test_a_different_suffix_or_middle_initial_lowers_the_score() -> None:
    john = person("SMITH", "JOHN", middle="ALAN", suffix="SR")
    assert score(NameQuery.of("SMITH", "JOHN", "ALAN"), "M", john) == 100
    assert score(NameQuery.of("SMITH", "JOHN", "BRIAN"), "M", john) < 100
    assert score(NameQuery.of("SMITH", "JOHN", suffix="JR"), "M", john) < 100


def test_parse_nam_splits_last_first_middle_suffix() -> None:
    assert parse_nam("O'BRIEN,SEAN PATRICK JR") == NameQuery("OBRIEN", "SEAN", "PATRICK", "JR")
    assert parse_nam("de la cruz,  josé") == NameQuery("DE LA CRUZ", "JOSE", "", "")
    assert parse_nam("SMITH JR,JOHN") == NameQuery("SMITH", "JOHN", "", "JR")
    assert parse_nam("SMITH") == NameQuery("SMITH", "", "", "")
    assert parse_nam("SMITH,JOHN V") == NameQuery("SMITH", "JOHN", "V", "")


def test_unknown_given_name_still_ranks_by_surname() -> None:
    found = rank(NameQuery.of("SMITH", ""), "M", [person("SMITH", "JOHN")])
    assert found and found[0].score < 100


def test_ranking_reads_names_and_sex_only_the_store_filters_by_dob() -> None:
    born = replace(person("SMITH", "JOHN"), dob=date(1970, 1, 1))
    assert score(NameQuery.of("SMITH", "JOHN"), "M", born) == 100
