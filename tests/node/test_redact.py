"""Redaction keeps only the fields of released data classes."""

from stateline.node.redact import redact, released_classes
from stateline.wire.grammar import DataClass

RECORD = (
    ("SCR", "97"),
    ("OLN", "123456789"),
    ("NAM", "DOE,JANE"),
    ("ADR", "1 MAIN ST"),
    ("IMG", "iVBORw0KGgo="),
    ("SOC", "900123456"),
    ("XXX", "unknown tags never leave"),
)


def test_only_released_classes_remain() -> None:
    kept = redact(RECORD, frozenset({DataClass.IDENTITY}))
    assert kept == (("SCR", "97"), ("OLN", "123456789"), ("NAM", "DOE,JANE"))


def test_nothing_released_keeps_only_the_match_score() -> None:
    assert redact(RECORD, frozenset()) == (("SCR", "97"),)


def test_released_classes_of_a_record() -> None:
    assert released_classes(RECORD) == {
        DataClass.IDENTITY,
        DataClass.ADDRESS,
        DataClass.PHOTO,
        DataClass.SSN,
    }
