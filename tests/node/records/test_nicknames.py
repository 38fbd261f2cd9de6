"""Given names that may be the same person's."""

from __future__ import annotations

from stateline.node.records.nicknames import FORMAL_NAMES, same_given_name


def test_nicknames_match_their_formal_name() -> None:
    for short, formal in [
        ("JON", "JOHN"),
        ("JOHNNY", "JOHN"),
        ("JACK", "JOHN"),
        ("BILL", "WILLIAM"),
        ("WILL", "WILLIAM"),
        ("BOB", "ROBERT"),
        ("PEGGY", "MARGARET"),
        ("LUPE", "GUADALUPE"),
    ]:
        assert same_given_name(short, formal) and same_given_name(formal, short)


def test_two_nicknames_of_one_name_match() -> None:
    assert same_given_name("BOB", "ROBBIE")


def test_unrelated_names_do_not_match() -> None:
    assert not same_given_name("JOHN", "JAMES")
    assert not same_given_name("HENRY", "HAROLD")  # HARRY may be either, they are not each other
    assert same_given_name("HARRY", "HENRY") and same_given_name("HARRY", "HAROLD")


def test_the_table_has_a_few_dozen_families() -> None:
    assert len({formal for formals in FORMAL_NAMES.values() for formal in formals}) > 60
