"""The letter a notice sends: plain text written once, and the same text as a PDF to print.

The text is the record: the outbox keeps it as written, and the PDF is set from that text, so
what is printed is what was stored, even after the wording here changes. Lines are paragraphs;
a blank line separates blocks (sender, date, address, reference, body, closing).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime

from stateline.directory.states import STATE_NAMES
from stateline.node.deadlines import state_zone
from stateline.node.notices.model import Disclosed, Notice
from stateline.wire.grammar import DataClass

PLAIN_WORDS: dict[DataClass, str] = {
    DataClass.IDENTITY: "your name, date of birth, sex, license number and license status",
    DataClass.ADDRESS: "your address",
    DataClass.PHYSICAL: "your physical description (height, weight, eye and hair color)",
    DataClass.PHOTO: "your photograph",
    DataClass.VEHICLES: "the vehicles registered to you",
    DataClass.HISTORY: "your driving history",
    DataClass.SSN: "your Social Security number",
    DataClass.CREDENTIAL_TYPE: "the kind of license you hold (REAL ID or standard)",
    DataClass.SOURCE_DOCUMENTS: "the documents you showed to get your license",
    DataClass.IMMIGRATION_STATUS: "information about your immigration status",
    DataClass.CONTACT: "your phone number and email address",
    DataClass.EMPLOYMENT: "information about your employment",
}
"""Each data class as a letter names it to the person it is about (in US spelling, as the
letters go to US residents)."""


def state_name(state: str) -> str:
    return STATE_NAMES.get(state.upper(), state.upper())


def long_date(day: date) -> str:
    """``March 2, 2026``."""
    return f"{day:%B} {day.day}, {day.year}"


def local_time(moment: datetime, state: str) -> str:
    """``March 2, 2026 at 14:05 EST``: when something happened, on the state's clock."""
    local = moment.astimezone(state_zone(state))
    return f"{long_date(local.date())} at {local:%H:%M} {local.tzname()}"


def in_words(classes: Iterable[DataClass]) -> str:
    """Data classes as a sentence part: ``your address, your photograph and ...``."""
    order = list(DataClass)
    words = [PLAIN_WORDS[c] for c in sorted(set(classes), key=order.index)]
    if len(words) <= 1:
        return "".join(words)
    if len(words) == 2 and not any("," in w for w in words):
        return " and ".join(words)
    # Semicolons, since the words of one class may hold commas and an "and" themselves.
    return f"{'; '.join(words[:-1])}; and {words[-1]}"


def _outcome(notice: Notice) -> str:
    if notice.disclosed is Disclosed.DENIED:
        return (
            "What we did: we refused the request. Nothing from your record was given to this "
            "agency."
        )
    if notice.disclosed is Disclosed.UNDER_REVIEW:
        return (
            "What we did: a member of our staff is reviewing the request. Nothing from your "
            "record has been given to this agency while it is reviewed."
        )
    text = f"What we did: we gave the agency {in_words(notice.released)}."
    kept = notice.requested - notice.released
    if kept:
        text += f" We did not give it {in_words(kept)}."
    return text


def letter_text(notice: Notice) -> str:
    """The letter to the person a notice is owed to: who asked, when, what happened, why."""
    state = state_name(notice.state)
    office = f"{state} motor vehicle records"
    days = f"{notice.within_days} {'business ' if notice.business_days else ''}days"
    created = notice.created.astimezone(state_zone(notice.state)).date()
    address = "\n".join((notice.recipient_name, *notice.recipient_address))
    blocks = [
        office,
        long_date(created),
        address,
        f"Reference: {notice.notice_id}",
        f"Dear {notice.recipient_name},",
        f"The law of {state} requires us to tell you when certain agencies ask for your "
        "motor vehicle record. We are writing to tell you about one such request.",
        f"Who asked: {notice.requester_name} (agency identifier {notice.requester_ori}).",
        f"When: {local_time(notice.received, notice.state)}.",
        f"What they asked for: {in_words(notice.requested)}.",
        _outcome(notice),
        f"Why you are receiving this letter: {notice.statute} requires us to tell you within "
        f"{days} of the request, that is by {long_date(notice.due)}.",
        f"Your record: you may ask the {state} motor vehicle agency for a copy of your record "
        "and for the list of every agency that has asked for it. Please quote the reference "
        "above.",
        "You do not need to reply to this letter. If you have questions about your rights, a "
        "lawyer or a legal aid organization can help.",
        f"Sincerely,\n{office}",
    ]
    return "\n\n".join(blocks) + "\n"


_UNFOLDED = str.maketrans(
    {"\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H",
     "\u0127": "h", "\u0131": "i", "\u0152": "OE", "\u0153": "oe", "\u2018": "'",
     "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)  # fmt: skip
"""Latin letters that Unicode does not decompose into a base letter and an accent."""


def _latin1(line: str) -> str:
    """A line the PDF's built-in font can set: Latin-1 kept, other Latin letters without
    their accents (the text keeps them). Other scripts need a Unicode font, not shipped yet."""
    return "".join(ch if ord(ch) < 256 else _fold(ch) for ch in line)


def _fold(ch: str) -> str:
    folded = unicodedata.normalize("NFKD", ch.translate(_UNFOLDED))
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    return kept.encode("latin-1", "replace").decode("latin-1")


def letter_pdf(notice: Notice) -> bytes:
    """The notice's stored letter as a one-page (or longer) US Letter PDF."""
    from fpdf import FPDF  # loaded only when a letter is printed

    pdf = FPDF(format="Letter", unit="pt")
    pdf.set_margins(72, 72, 72)
    pdf.set_auto_page_break(auto=True, margin=72)
    pdf.set_title(f"Notice {notice.notice_id}")
    pdf.set_author(f"{state_name(notice.state)} motor vehicle records")
    pdf.set_creator("Stateline")
    # A fixed creation date keeps the same letter the same bytes.
    pdf.set_creation_date(notice.created.astimezone(UTC))
    pdf.add_page()
    blocks = (notice.letter or letter_text(notice)).rstrip("\n").split("\n\n")
    for number, block in enumerate(blocks):
        pdf.set_font("Helvetica", "B" if number == 0 else "", 11)
        for line in block.split("\n"):
            pdf.multi_cell(0, 15, _latin1(line), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(9)
    return bytes(pdf.output())
