"""Name folding and the surname keys the name index is built from."""

from __future__ import annotations

from stateline.node.records.phonetic import (
    agreement,
    compact,
    fold,
    name_parts,
    significant_parts,
    surname_keys,
)


def test_fold_upper_cases_and_strips_punctuation_and_accents() -> None:
    assert fold("o'Brien") == "OBRIEN"
    assert fold("Muñoz") == "MUNOZ"
    assert fold("St. John") == "ST JOHN"
    assert fold("  smith ,  john  ") == "SMITH , JOHN"
    assert fold("GARCIA-LOPEZ") == "GARCIA-LOPEZ"


def test_parts_and_compact_forms() -> None:
    assert name_parts("GARCIA-LOPEZ") == ("GARCIA", "LOPEZ")
    assert significant_parts("DE LA CRUZ") == ("CRUZ",)
    assert compact("DE LA CRUZ") == compact("DELACRUZ") == "DELACRUZ"
    assert compact("GARCIA-LOPEZ") == "GARCIALOPEZ"


def test_surname_keys_cover_each_half_and_the_whole() -> None:
    double = surname_keys("GARCIA-LOPEZ")
    assert surname_keys("GARCIA") <= double
    assert surname_keys("LOPEZ") <= double
    assert surname_keys("GARCIALOPEZ") <= double
    assert surname_keys("DELACRUZ") <= surname_keys("DE LA CRUZ")
    assert surname_keys("CRUZ") <= surname_keys("DE LA CRUZ")


def test_names_that_sound_alike_share_a_key() -> None:
    assert surname_keys("SMYTH") & surname_keys("SMITH")
    assert surname_keys("KATZ") & surname_keys("CATZ")
    assert surname_keys("JONSON") & surname_keys("JOHNSON")
    assert not surname_keys("SMITH") & surname_keys("GARCIA")


def test_particles_get_no_key_of_their_own() -> None:
    # Keys for DE or LA would put every DE LA CRUZ and DE LEON born one day among the candidates.
    assert not surname_keys("DE") & surname_keys("DE LA CRUZ")
    assert not surname_keys("LA") & surname_keys("DE LA CRUZ")
    assert surname_keys("DE")  # a surname that is only a particle is still indexed, whole
    assert surname_keys("") == frozenset()


def test_agreement_grades_the_phonetic_codes() -> None:
    assert agreement("SMITH", "SMYTH") == 0.5  # Metaphone agrees
    assert agreement("JOHN", "JAMES") == 0.25  # only NYSIIS does
    assert agreement("SMITH", "GARCIA") == 0.0
