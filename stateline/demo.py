"""The demo: build a national exchange on the embedded default and replay realistic traffic.

``prepare`` creates the data directory: the demo directory of agencies with a credential each,
and every jurisdiction's synthetic records. ``traffic`` draws a deterministic mix of messages
from local, state and federal agencies (DQ, RQ, KQ, multi-state and NL queries, AMs, and bad
messages); ``replay`` sends them through the exchange and tallies what came back.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from stateline.bootstrap import open_hub, open_node_engine
from stateline.config import Config
from stateline.directory.demo import demo_agencies
from stateline.directory.file import dump_directory, load_directory
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Mission
from stateline.hub.exchange import Exchange
from stateline.hub.switch import Form
from stateline.node.records.generate import generate_people
from stateline.node.records.model import Person
from stateline.storage.records import RecordStore
from stateline.wire import jsonform, text
from stateline.wire.grammar import MKE, US_STATES
from stateline.wire.messages import ErrorMessage, Header, Query, Response, StatusMessage

Progress = Callable[[str, int, int], None]
"""Called as ``progress(task, done, total)``."""


def prepare(config: Config, people: int, seed: int, progress: Progress | None = None) -> None:
    """Create the hub's directory and credentials and every node's records, unless already there."""
    hub_engine, directory, _log = open_hub(config)
    if not directory.snapshot():
        # The directory goes through its file, as an operator's would.
        directory_file = config.data_dir / "directory.json"
        dump_directory(demo_agencies(seed=seed), directory_file)
        directory.add_many(load_directory(directory_file))
        tokens = {agency.ori: directory.issue_credential(agency.ori) for agency in directory.list()}
        config.credentials_file.write_text(json.dumps(tokens, indent=1))
        os.chmod(config.credentials_file, 0o600)
    hub_engine.dispose()
    for index, state in enumerate(config.states):
        store = RecordStore(open_node_engine(config, state))
        store.create_schema()
        if store.count() != people:
            store.clear()
            store.insert_people(generate_people(state, people, seed))
        store.close()
        store.engine.dispose()
        if progress is not None:
            progress("records", index + 1, len(config.states))


def load_tokens(config: Config) -> dict[str, str]:
    tokens: dict[str, str] = json.loads(config.credentials_file.read_text())
    return tokens


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of the replay: what kind it is, who sends it, and how."""

    kind: str
    ori: str
    raw: str
    form: Form = Form.TEXT
    token_of: str | None = None  # whose credential is presented (None: none at all)
    sender: str = "local"  # local, state or federal agency


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


def _why(rng: random.Random, agency: Agency, n: int) -> list[tuple[str, str]]:
    """The purpose (and legal process) tags a query states, as agencies really send them:
    most police queries say why; immigration agencies sometimes ask for civil enforcement
    and sometimes come with a judge's warrant; some queries state nothing, which the
    statute bundles treat as they must."""
    roll = rng.random()
    if agency.missions & IMMIGRATION:
        if roll < 0.4:
            return [("PRP", "CIVIL-IMMIGRATION-ENFORCEMENT")]
        if roll < 0.7:
            return [
                ("PRP", "CRIMINAL-INVESTIGATION"),
                ("OCA", f"26-{n:06d}"),
                ("LPK", "JUDICIAL-WARRANT"),
                ("LPN", f"1:26-MJ-{n % 10000:05d}"),
                ("LPC", "US DISTRICT COURT"),
                ("LPJ", "ROE,RICHARD"),
                ("LPD", "20260105"),
            ]
        return []
    if roll < 0.6:
        return [("PRP", "CRIMINAL-INVESTIGATION")]
    if roll < 0.85:
        return [("PRP", "TRAFFIC-ENFORCEMENT")]
    return []


def _nam(person: Person, misspell: bool = False) -> str:
    last = person.last
    if misspell:
        for old, new in VARIANTS:
            if old in last[1:]:
                last = last[0] + last[1:].replace(old, new, 1)
                break
    return f"{last},{person.first}"[:30]


def traffic(
    config: Config, people: int, seed: int, count: int, agencies: list[Agency]
) -> Iterator[Sent]:
    """A deterministic mix of ``count`` messages resembling a day of national DMV traffic."""
    rng = random.Random(seed)
    population = {s: list(generate_people(s, min(people, 200), seed)) for s in config.states}
    active = [a for a in agencies if a.status is AgencyStatus.ACTIVE and not a.node]
    cj = [a for a in active if a.agency_type.criminal_justice]
    local = [a for a in cj if a.agency_type in (AgencyType.PD, AgencyType.SO)]
    state_police = [a for a in cj if a.agency_type is AgencyType.SA]
    federal = [a for a in cj if a.home_state == "US"]
    non_cj = [a for a in active if not a.agency_type.criminal_justice]
    suspended = [a for a in agencies if a.status is AgencyStatus.SUSPENDED]

    def sender() -> Agency:
        roll = rng.random()
        pool = local if roll < 0.7 else state_police if roll < 0.9 else federal
        return rng.choice(pool)

    def target(agency: Agency) -> tuple[str, Person]:
        home = agency.home_state if agency.home_state in population else rng.choice(US_STATES)
        state = home if rng.random() < 0.75 else rng.choice(config.states)
        return state, rng.choice(population[state])

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
            q = _query(MKE.DQ, ori, (state,), [("OLN", oln), *_why(rng, agency, n)], control)
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
            q = _query(MKE.DQ, ori, (state,), [*fields, *_why(rng, agency, n)], control)
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
                    *_why(rng, agency, n),
                ],
                control,
            )
            kind = "RQ by plate"
        elif roll < 0.72 and person.vehicles:
            fields = [("VIN", person.vehicles[0].vin), *_why(rng, agency, n)]
            q = _query(MKE.RQ, ori, (state,), fields, control)
            kind = "RQ by VIN"
        elif roll < 0.80:
            q = _query(MKE.KQ, ori, (state,), [("OLN", person.oln), ("PUR", "C")], control)
            kind = "KQ"
        elif roll < 0.84:
            others = rng.sample([s for s in config.states if s != state], k=rng.randint(1, 4))
            q = _query(
                MKE.DQ,
                ori,
                (state, *others),
                [
                    ("NAM", _nam(person)),
                    ("DOB", person.dob.strftime("%Y%m%d")),
                    ("SEX", person.sex),
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
                ],
                control,
            )
            kind = "DQ to NL"
        elif roll < 0.86 and non_cj:
            bad = rng.choice(non_cj)
            q = _query(MKE.DQ, bad.ori, (state,), [("OLN", person.oln)])
            yield Sent("DQ from non-CJ", bad.ori, text.encode(q), Form.TEXT, bad.ori, "state")
            continue
        else:
            yield replace(_bad(rng, agency, state, person, suspended), sender=sender_kind(agency))
            continue
        raw = jsonform.encode_json(q) if form is Form.JSON else text.encode(q)
        yield Sent(kind, ori, raw, form, ori, sender_kind(agency))


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
            "bad: KQ to two states", ori, f"KQ.{ori}.{state}.NY.TXT\nOLN/{person.oln}", token_of=ori
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


@dataclass
class Tally:
    """What the replay saw, by kind of message."""

    sent: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    not_on_file: Counter[str] = field(default_factory=Counter)
    denied: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    status: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    senders: Counter[str] = field(default_factory=Counter)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)


async def replay(
    exchange: Exchange,
    messages: list[Sent],
    tokens: dict[str, str],
    progress: Progress | None = None,
) -> Tally:
    tally = Tally()
    for index, sent in enumerate(messages):
        token = tokens.get(sent.token_of) if sent.token_of else None
        start = time.perf_counter()
        submission = await exchange.submit(sent.raw, token, sent.form)
        tally.latency_ms.setdefault(sent.kind, []).append((time.perf_counter() - start) * 1000)
        tally.sent[sent.kind] += 1
        tally.senders[sent.sender] += 1
        for reply in submission.replies:
            if isinstance(reply, ErrorMessage):
                tally.errors[sent.kind] += 1
                tally.reasons[f"{reply.reason.code} {reply.reason.text}"] += 1
            elif isinstance(reply, StatusMessage):
                tally.status[sent.kind] += 1
            elif isinstance(reply, Response):
                if reply.records:
                    tally.hits[sent.kind] += 1
                elif any(line.startswith("REQUEST DENIED") for line in reply.text):
                    tally.denied[sent.kind] += 1
                else:
                    tally.not_on_file[sent.kind] += 1
        if progress is not None:
            progress("traffic", index + 1, len(messages))
    return tally
