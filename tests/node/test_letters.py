"""Tests for node/notices/letters.py: the letter's words, and the PDF a reader can open."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from stateline.node.notices.letters import in_words, letter_pdf, letter_text
from stateline.node.notices.model import Disclosed, Notice
from stateline.wire.grammar import DataClass

from .test_notices import IL_NOTICE, notices


def notice(disclosed: Disclosed = Disclosed.RELEASED) -> Notice:
    made = notices(IL_NOTICE, disclosed)[0]
    return replace(made, letter=letter_text(made))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Lines unwrapped: the PDF breaks paragraphs where the page width says.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_letter_says_who_asked_when_what_and_under_which_law() -> None:
    text = notice().letter
    assert "ICE Enforcement and Removal Operations (agency identifier DCICE0000)" in text
    assert "When: July 2, 2026 at 11:00 EDT." in text  # 15:00 UTC, on New York's clock
    assert "your name, date of birth, sex, license number and license status" in text
    assert "we gave the agency your name" in text
    assert "We did not give it your address and your photograph." in text
    assert "VTL 201(12)(b) requires us to tell you within 3 business days" in text
    assert "by July 8, 2026" in text
    assert "Reference: N-" in text
    assert text.startswith("New York motor vehicle records\n\n")


def test_a_denial_and_a_review_say_nothing_was_given() -> None:
    assert "we refused the request. Nothing from your record" in notice(Disclosed.DENIED).letter
    held = notice(Disclosed.UNDER_REVIEW).letter
    assert "reviewing the request. Nothing from your record has been given" in held


def test_classes_read_as_a_sentence() -> None:
    assert in_words([DataClass.PHOTO]) == "your photograph"
    assert in_words([DataClass.PHOTO, DataClass.ADDRESS]) == "your address and your photograph"
    two = in_words([DataClass.ADDRESS, DataClass.IDENTITY])
    assert two == (
        "your name, date of birth, sex, license number and license status; and your address"
    )
    three = in_words([DataClass.SSN, DataClass.ADDRESS, DataClass.PHOTO])
    assert three == "your address; your photograph; and your Social Security number"


def test_the_pdf_opens_and_carries_the_stored_letter() -> None:
    made = notice()
    data = letter_pdf(made)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert reader.metadata is not None and reader.metadata.title == f"Notice {made.notice_id}"
    text = pdf_text(data)
    assert "by July 8, 2026" in text
    assert "ICE Enforcement and Removal Operations" in text
    assert made.recipient_name in text
    # The PDF sets the text as stored, not as today's wording would write it.
    edited = replace(made, letter=made.letter.replace("Sincerely,", "Yours faithfully,"))
    assert "Yours faithfully," in pdf_text(letter_pdf(edited))


def test_the_same_letter_is_the_same_pdf() -> None:
    assert letter_pdf(notice()) == letter_pdf(notice())


def test_names_outside_latin_1_still_print() -> None:
    made = replace(notice(), recipient_name="Zoë Łukasz", letter="Dear Zoë Łukasz,\n")
    assert "Dear Zoë Lukasz," in pdf_text(letter_pdf(made))
