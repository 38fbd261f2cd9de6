"""The demo night's traffic: a deterministic mix of messages from local, state and federal
agencies (DQ, RQ, KQ, multi-state and NL queries, some under legal process with its document as
a PDF, and bad messages that must get their ER), drawn from the synthetic people and agencies.

The traffic is clean for the abuse alerts (docs/alerts.md) but for one pattern seeded on
purpose: the police officers on an immigration task force (``task_force``), whose queries say
so and raise ``acting-for-immigration``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from stateline.config import Config
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Mission
from stateline.hub.switch import Form
from stateline.node.records.model import Person
from stateline.oversight.alert_settings import Settings
from stateline.synthetic.people import generate_people
from stateline.wire import jsonform, text
from stateline.wire.grammar import MKE
from stateline.wire.messages import Header, Query


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of the replay: what kind it is, who sends it, and how."""

    kind: str
    ori: str
    raw: str
    form: Form = Form.TEXT
    token_of: str | None = None  # whose credential is presented (None: none at all)
    sender: str = "local"  # local, state or federal agency
    home_state: str | None = None  # the sender's home state ("US": federal)
    document: bytes | None = None  # the legal-process document attached first (DOC/)


def _query(
    mke: MKE,
    ori: str,
    destinations: tuple[str, ...],
    fields: list[tuple[str, str]],
    control: str | None = None,
) -> Query:
    return Query(Header(mke, ori, destinations, control), tuple(fields))


VARIANTS = (("PH", "F"), ("Y", "I"), ("I", "Y"), ("EE", "I"), ("CK", "K"), ("SS", "S"))


IMMIGRATION = frozenset({Mission.IMMIGRATION_ENFORCEMENT, Mission.BORDER_CUSTOMS})


Tags = list[tuple[str, str]]


TASK_FORCE = ("AFM", "IMMIGRATION-ENFORCEMENT")
"""What a police officer on an immigration task force says: the seeded alert pattern."""


REDRAWS = 25
"""Draws again of a person at most, for one who keeps the traffic clean (see ``traffic``)."""


def _process(kind: str, number: str, court: str | None = None, judge: str | None = None) -> Tags:
    """The tags of a legal process: its kind, number, court and judge, and the date issued."""
    tags = [("LPK", kind), ("LPN", number)]
    if court is not None:
        tags.append(("LPC", court))
    if judge is not None:
        tags.append(("LPJ", judge))
    return [*tags, ("LPD", "20260105")]


_DISTRICT = ("US DISTRICT COURT", "ROE,RICHARD")  # a district judge: an Article III judge


_MAGISTRATE = ("US DISTRICT COURT", "POE,MARY")  # a U.S. magistrate judge


def _why(rng: random.Random, agency: Agency, n: int, task_force: bool = True) -> Tags:
    """The purpose (and legal process) tags a query states, as agencies really send them.

    Most police queries say why; a few come under a court's process, and a few from an officer
    working for ICE on a task force (``AFM/``; without ``task_force``, that officer's query is
    an ordinary criminal investigation). Immigration agencies ask for civil enforcement,
    sometimes with their own administrative warrant, or work a crime under a judge's warrant
    (one that names the address alone, now and then), a magistrate's, or a DHS subpoena. Some
    queries state nothing, which the statute bundles treat as they must.
    """
    roll = rng.random()
    case = ("OCA", f"26-{n:06d}")
    criminal = ("PRP", "CRIMINAL-INVESTIGATION")
    if agency.missions & IMMIGRATION:
        if roll < 0.2:
            return [("PRP", "CIVIL-IMMIGRATION-ENFORCEMENT")]
        if roll < 0.3:
            warrant = _process("ADMINISTRATIVE-WARRANT", f"I200-{n:06d}")
            return [("PRP", "CIVIL-IMMIGRATION-ENFORCEMENT"), *warrant]
        if roll < 0.48:
            judge = _process("JUDICIAL-WARRANT", f"1:26-CR-{n % 10000:05d}", *_DISTRICT)
            return [criminal, case, *judge, *([("LPS", "ADDRESS")] if roll < 0.36 else [])]
        if roll < 0.68:
            magistrate = _process("MAGISTRATE-WARRANT", f"1:26-MJ-{n % 10000:05d}", *_MAGISTRATE)
            return [criminal, case, *magistrate]
        if roll < 0.88:
            return [criminal, case, *_process("ADMINISTRATIVE-SUBPOENA", f"DHS-{n:06d}")]
        return []
    if roll < 0.04:
        return [criminal, case, *([TASK_FORCE] if task_force else [])]
    if roll < 0.10:
        court = f"{agency.home_state} CIRCUIT COURT"
        kind = rng.choice(("COURT-ORDER", "JUDICIAL-SUBPOENA", "GRAND-JURY-SUBPOENA"))
        return [criminal, case, *_process(kind, f"26-{n % 100000:05d}", court, "DOE,JANE")]
    if roll < 0.60:
        return [criminal]
    if roll < 0.85:
        return [("PRP", "TRAFFIC-ENFORCEMENT")]
    return []


def document(query: Query) -> bytes | None:
    """The document of the legal process a query cites, as a one-page synthetic PDF; None
    without ``LPK/``. It says what the tags say, and that it is no real instrument."""
    if query.get("LPK") is None:
        return None
    lines = ["SYNTHETIC DEMO DOCUMENT - NOT A REAL LEGAL INSTRUMENT"]
    lines += [f"{tag}/{value}" for tag, value in query.fields if tag.startswith("LP")]
    lines.append(f"SERVED BY {query.header.ori}")
    return _pdf(lines)


_PLAIN = str.maketrans({"(": "[", ")": "]", "\\": "/"})


def _pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF showing ``lines`` (plain ASCII) in Helvetica."""
    # Brackets for parentheses, so that no line needs a PDF string escape.
    shown = " ".join(f"({line.translate(_PLAIN)}) '" for line in lines)
    content = f"BT /F1 11 Tf 72 740 Td 16 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def _nam(person: Person, misspell: bool = False) -> str:
    last = person.last
    if misspell:
        for old, new in VARIANTS:
            if old in last[1:]:
                last = last[0] + last[1:].replace(old, new, 1)
                break
    return f"{last},{person.first}"[:30]


class _Lookups:
    """Which agencies have looked up people born on each day: what the demo's traffic keeps
    below the ``many-agencies`` and ``denied-retried`` alerts.

    A lookup names its person, and a name search also whoever a state holds born the same day
    with a name like theirs (one state, or each state a multi-state or NL query asks), so
    people are counted by date of birth alone, which covers them all. An agency is an ORI's
    first characters, as the alerts read it.
    """

    def __init__(self, settings: Settings) -> None:
        self.parent_length = settings.parent_length
        self.most = settings.many_agencies.count - 1  # unrelated agencies a day of birth may have
        self.asked: dict[date, dict[str, str]] = {}  # day of birth -> agency -> its one ORI

    def allows(self, ori: str, person: Person) -> bool:
        """Whether ``ori`` may look ``person`` up: an ORI that did already, or one of an agency
        new to the day while it has had fewer than ``most`` (never a second ORI of one agency,
        whose asking after a denial would be a retry)."""
        agencies = self.asked.get(person.dob, {})
        parent = ori[: self.parent_length]
        if parent in agencies:
            return agencies[parent] == ori
        return len(agencies) < self.most

    def add(self, ori: str, person: Person) -> None:
        self.asked.setdefault(person.dob, {}).setdefault(ori[: self.parent_length], ori)


def traffic(
    config: Config,
    people: int,
    seed: int,
    count: int,
    agencies: list[Agency],
    task_force: bool = True,
) -> Iterator[Sent]:
    """A deterministic mix of ``count`` messages resembling a day of national DMV traffic.

    The traffic raises no abuse alert (docs/alerts.md) but ``acting-for-immigration``, where
    the few police queries from officers on an immigration task force say so: the pattern the
    demo seeds on purpose. Without ``task_force`` those queries state an ordinary criminal
    investigation instead, and every other message is the same.

    So that no person is looked up by three unrelated agencies (``many-agencies``) or by two
    ORIs of one agency (``denied-retried``), a person whom another agency would make one too
    many is drawn again, up to ``REDRAWS`` times; should every draw fail (a replay over a
    handful of people a state), the first is kept, and the traffic may then raise those too.
    The other rules count an ORI's queries to one state, which stay well below their counts
    over the whole replay at ``stateline demo``'s sizes (docs/alerts.md).
    """
    rng = random.Random(seed)
    population = {s: list(generate_people(s, min(people, 200), seed)) for s in config.states}
    active = [a for a in agencies if a.status is AgencyStatus.ACTIVE and not a.node]
    cj = [a for a in active if a.agency_type.criminal_justice]
    local = [a for a in cj if a.agency_type in (AgencyType.PD, AgencyType.SO)]
    state_police = [a for a in cj if a.agency_type is AgencyType.SA]
    federal = [a for a in cj if a.home_state == "US"]
    non_cj = [a for a in active if not a.agency_type.criminal_justice]
    suspended = [a for a in agencies if a.status is AgencyStatus.SUSPENDED]

    # Immigration agencies are among the busiest federal users of driver data.
    federal_weights = [2 if a.missions & IMMIGRATION else 1 for a in federal]

    def sender() -> Agency:
        roll = rng.random()
        if roll < 0.65:
            return rng.choice(local)
        if roll < 0.85:
            return rng.choice(state_police)
        return rng.choices(federal, federal_weights)[0]

    lookups = _Lookups(Settings())
    # A person is drawn again from those like them (with a vehicle, or without, as the message
    # may need one) by a generator of its own, so that everything else the seed draws stays as
    # it would be without the redraws: the same senders, kinds of message and purposes.
    again = random.Random(f"redraws {seed}")
    alike = {
        (s, owner): [p for p in everyone if bool(p.vehicles) is owner]
        for s, everyone in population.items()
        for owner in (False, True)
    }

    def person_in(state: str, ori: str, person: Person) -> Person:
        """``person``, or someone like them in ``state`` if ``ori`` may not look them up (see
        ``_Lookups``) and another is found whom it may."""
        drawn = person
        for _ in range(REDRAWS):
            if lookups.allows(ori, drawn):
                return drawn
            drawn = again.choice(alike[state, bool(person.vehicles)])
        return drawn if lookups.allows(ori, drawn) else person

    def target(agency: Agency) -> tuple[str, Person]:
        # A federal agency, or one from a state this exchange does not run, asks anywhere.
        home = agency.home_state if agency.home_state in population else rng.choice(config.states)
        state = home if rng.random() < 0.75 else rng.choice(config.states)
        return state, person_in(state, agency.ori, rng.choice(population[state]))

    def why(agency: Agency, n: int) -> Tags:
        return _why(rng, agency, n, task_force)

    for n in range(count):
        agency = sender()
        ori = agency.ori
        state, person = target(agency)
        control = f"C{n:06d}" if rng.random() < 0.3 else None
        roll = rng.random()
        form = Form.JSON if rng.random() < 0.2 else Form.TEXT
        if roll < 0.35:
            # One licence number in ten is mistyped, as at a roadside: NOT ON FILE.
            oln = person.oln if rng.random() < 0.9 else person.oln[::-1]
            q = _query(MKE.DQ, ori, (state,), [("OLN", oln), *why(agency, n)], control)
            kind = "DQ by OLN"
        elif roll < 0.50:
            # Names are often heard rather than read: a spelling variant still finds the driver.
            fields = [
                ("NAM", _nam(person, misspell=rng.random() < 0.25)),
                ("DOB", person.dob.strftime("%Y%m%d")),
                ("SEX", person.sex),
            ]
            if rng.random() < 0.3:
                fields.append(("IMQ", "Y"))
            q = _query(MKE.DQ, ori, (state,), [*fields, *why(agency, n)], control)
            kind = "DQ by name"
        elif roll < 0.66 and person.vehicles:
            v = person.vehicles[0]
            q = _query(
                MKE.RQ,
                ori,
                (state,),
                [
                    ("LIC", v.plate),
                    ("LIY", v.plate_year),
                    ("LIT", v.plate_type),
                    *why(agency, n),
                ],
                control,
            )
            kind = "RQ by plate"
        elif roll < 0.72 and person.vehicles:
            fields = [("VIN", person.vehicles[0].vin), *why(agency, n)]
            q = _query(MKE.RQ, ori, (state,), fields, control)
            kind = "RQ by VIN"
        elif roll < 0.80:
            q = _query(MKE.KQ, ori, (state,), [("OLN", person.oln), ("PUR", "C")], control)
            kind = "KQ"
        elif roll < 0.84 and len(config.states) > 1:
            elsewhere = [s for s in config.states if s != state]
            others = rng.sample(elsewhere, k=rng.randint(1, min(4, len(elsewhere))))
            q = _query(
                MKE.DQ,
                ori,
                (state, *others),
                [
                    ("NAM", _nam(person)),
                    ("DOB", person.dob.strftime("%Y%m%d")),
                    ("SEX", person.sex),
                    *why(agency, n),
                ],
                control,
            )
            kind = "DQ multi-state"
        elif roll < 0.85:
            q = _query(
                MKE.DQ,
                ori,
                ("NL",),
                [
                    ("NAM", _nam(person)),
                    ("DOB", person.dob.strftime("%Y%m%d")),
                    ("SEX", person.sex),
                    *why(agency, n),
                ],
                control,
            )
            kind = "DQ to NL"
        elif roll < 0.86 and non_cj:
            bad = rng.choice(non_cj)
            person = person_in(state, bad.ori, person)
            lookups.add(bad.ori, person)
            q = _query(MKE.DQ, bad.ori, (state,), [("OLN", person.oln)])
            raw = text.encode(q)
            yield Sent("DQ from non-CJ", bad.ori, raw, Form.TEXT, bad.ori, "state", bad.home_state)
            continue
        else:
            # The exchange refuses each of these before any state reads it: no lookup.
            sent = _bad(rng, agency, state, person, suspended)
            yield replace(sent, sender=sender_kind(agency), home_state=agency.home_state)
            continue
        lookups.add(ori, person)
        raw = jsonform.encode_json(q) if form is Form.JSON else text.encode(q)
        yield Sent(kind, ori, raw, form, ori, sender_kind(agency), agency.home_state, document(q))


def sender_kind(agency: Agency) -> str:
    if agency.federal:
        return "federal"
    return "local" if agency.agency_type in (AgencyType.PD, AgencyType.SO) else "state"


def _bad(
    rng: random.Random, agency: Agency, state: str, person: Person, suspended: list[Agency]
) -> Sent:
    ori = agency.ori
    choices: list[Sent] = [
        Sent("bad: RQ without LIY", ori, f"RQ.{ori}.{state}.TXT\nLIC/123456.LIT/PC", token_of=ori),
        Sent(
            "bad: DOB invalid",
            ori,
            f"DQ.{ori}.{state}.TXT\nNAM/{_nam(person)}.DOB/19501345.SEX/M",
            token_of=ori,
        ),
        Sent("bad: no TXT", ori, f"DQ.{ori}.{state}\nOLN/{person.oln}", token_of=ori),
        Sent("bad: destination", ori, f"DQ.{ori}.ZZ.TXT\nOLN/{person.oln}", token_of=ori),
        Sent(
            "bad: KQ to two states",
            ori,
            # Two different states: a KQ to one state twice is a repeat (.19.), not this .02.
            f"KQ.{ori}.{state}.{'NJ' if state == 'NY' else 'NY'}.TXT\nOLN/{person.oln}",
            token_of=ori,
        ),
        Sent("bad: no credential", ori, f"DQ.{ori}.{state}.TXT\nOLN/{person.oln}", token_of=None),
        Sent(
            "bad: another's credential",
            ori,
            f"DQ.{ori}.{state}.TXT\nOLN/{person.oln}",
            token_of=f"{state}OLN0000",
        ),
    ]
    if suspended:
        gone = rng.choice(suspended).ori
        choices.append(
            Sent(
                "bad: suspended agency",
                gone,
                f"DQ.{gone}.{state}.TXT\nOLN/{person.oln}",
                token_of=gone,
            )
        )
    return rng.choice(choices)
