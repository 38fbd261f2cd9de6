"""Tests for stateline/oversight/alerts.py: each rule seeded over plain entries, in ledger order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stateline.ledger import entries
from stateline.ledger.entries import subject_key
from stateline.node.audit import NAME_SEARCH
from stateline.oversight.alert_settings import Settings
from stateline.oversight.alerts import Answers, Detector, Raised, Rule, raised_from

SECRET = b"k" * 32
NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 12:00 in New York
NIGHT = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 03:00 in New York
FEDERAL = frozenset({"DCICE0000", "DCHSI0000"})
LOCAL = "NY0010100"  # a police department: county 001, agency 01
SIBLING = "NY0010101"  # another ORI of the same agency
OTHER = "NY0030100"  # another agency


def person(n: int) -> str:
    return subject_key(SECRET, "NY", oln=f"D{n:08d}")


def by_name(n: int) -> str:
    return subject_key(SECRET, "NY", name=f"DOE,JANE{n}", dob=datetime(1980, 1, 1).date())


class Node:
    """A node's ledger as the detector reads it: each answer's three entries, in order."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.detector = Detector("NY", FEDERAL, settings)
        self.size = 0
        self.raised: list[Raised] = []

    def answer(
        self,
        ori: str,
        at: datetime,
        *,
        outcome: str = "release",
        asked: tuple[str, ...] = (),
        found: tuple[str, ...] = (),
        reasons: tuple[str, ...] = (),
        key: str = "DQ",
    ) -> list[Raised]:
        """Append one answer; what it raised."""
        message = f"m{self.size}"
        made = [
            entries.RequestReceived(
                at=at,
                key=key,
                message_id=message,
                reasons=reasons,
                requester=ori,
                state="NY",
                subjects=asked,
            ),
            entries.Decision(
                at=at, message_id=message, outcome=outcome, state="NY", subjects=asked
            ),
            entries.Disclosure(
                answer_sha256="0" * 64,
                at=at,
                data_classes=(),
                message_id=message,
                recipient=ori,
                state="NY",
                subjects=tuple(dict.fromkeys(asked + found)),
            ),
        ]
        out = []
        for entry in made:
            out += self.detector.entry(self.size, entry)
            self.size += 1
        self.raised += out
        return out

    def rules(self) -> set[Rule]:
        return {r.rule for r in self.raised}


def every(start: datetime, seconds: float, count: int) -> list[datetime]:
    return [start + timedelta(seconds=seconds * n) for n in range(count)]


def test_bulk_raises_at_the_201st_query_from_one_ori_within_an_hour() -> None:
    node = Node()
    for n, at in enumerate(every(NOON, 15, 200)):
        assert node.answer(LOCAL, at, asked=(person(n),)) == []
    raised = node.answer(LOCAL, NOON + timedelta(minutes=50), asked=(person(0),))
    bulk = [r for r in raised if r.rule is Rule.BULK]
    assert len(bulk) == 1
    alert = bulk[0]
    assert (alert.key, alert.ori, alert.subject, alert.severity) == (LOCAL, LOCAL, None, "medium")
    assert alert.window == timedelta(minutes=60) and alert.continues is None
    assert [lookup.index for lookup in alert.evidence] == list(range(0, 603, 3))
    assert alert.evidence[-1].indexes == (600, 601, 602)
    # The next query grows the same alert: only itself is new, and it names the last one.
    grown = [r for r in node.answer(LOCAL, NOON + timedelta(minutes=51)) if r.rule is Rule.BULK]
    assert [lookup.index for lookup in grown[0].evidence] == [603]
    assert grown[0].continues == 600


def test_two_hundred_an_hour_all_day_raise_nothing() -> None:
    node = Node()
    for at in every(NOON, 18.1, 600):
        node.answer(LOCAL, at)
    assert node.raised == []


def test_bulk_counts_one_person_asking_within_their_agency() -> None:
    node = Node()
    officer = "ATN#0123456789abcdef"
    for at in every(NOON, 10, 50):
        node.answer(LOCAL, at, reasons=(officer,))
        node.answer(OTHER, at, reasons=(officer,))  # another agency's officer of that name
    assert node.raised == []
    raised = node.answer(LOCAL, NOON + timedelta(minutes=9), reasons=("RSN/N", officer))
    assert [(r.rule, r.key, r.severity) for r in raised] == [
        (Rule.BULK_ASKER, f"{LOCAL} {officer}", "high")
    ]
    assert len(raised[0].evidence) == 51


def test_name_fishing_counts_name_searches_finding_nobody_or_several() -> None:
    node = Node()
    name = (NAME_SEARCH,)
    at = iter(every(NOON, 60, 60))
    for n in range(5):
        node.answer(LOCAL, next(at), asked=(by_name(n),), reasons=name)  # found nobody
    for n in range(5, 9):
        found = (person(n), person(n + 100))
        node.answer(LOCAL, next(at), asked=(by_name(n),), found=found, reasons=name)
    for n in range(9, 20):
        node.answer(LOCAL, next(at), asked=(by_name(n),), found=(person(n),), reasons=name)
        node.answer(LOCAL, next(at), asked=(by_name(n),), outcome="deny", reasons=name)
        node.answer(LOCAL, next(at), asked=(person(n),))  # a licence number not on file
    assert node.raised == []  # 9 so far: finding one person, or denied, does not count
    raised = node.answer(LOCAL, next(at), asked=(by_name(99),), reasons=name)
    assert [(r.rule, r.ori, r.severity, len(r.evidence)) for r in raised] == [
        (Rule.NAME_FISHING, LOCAL, "high", 10)
    ]


def test_a_name_search_written_before_requests_said_so_is_known_by_several_found() -> None:
    node = Node()
    for n, at in enumerate(every(NOON, 60, 10)):
        node.answer(LOCAL, at, asked=(by_name(n),), found=(person(n), person(n + 100)))
    assert node.rules() == {Rule.NAME_FISHING}


def test_a_denial_then_another_ori_of_the_same_agency_asking_raises() -> None:
    node = Node()
    subject = person(1)
    node.answer(LOCAL, NOON, outcome="deny", asked=(subject,))
    node.answer(LOCAL, NOON + timedelta(minutes=5), outcome="deny", asked=(subject,))  # itself
    node.answer(OTHER, NOON + timedelta(minutes=10), asked=(subject,))  # another agency
    assert node.raised == []
    raised = node.answer(SIBLING, NOON + timedelta(hours=2), asked=(by_name(1),), found=(subject,))
    assert [(r.rule, r.ori, r.subject, r.severity) for r in raised] == [
        (Rule.DENIED_RETRIED, SIBLING, subject, "high")
    ]
    assert raised[0].key == f"NY00101 {subject}"
    assert [lookup.ori for lookup in raised[0].evidence] == [LOCAL, LOCAL, SIBLING]


def review(node: Node, message: str, at: datetime, action: str) -> list[Raised]:
    """A reviewer's action on a held request, the next entry of the ledger."""
    entry = entries.ReviewAction(
        action=action, at=at, message_id=message, outcome=action, reviewer="r1", state="NY"
    )
    out = node.detector.entry(node.size, entry)
    node.size += 1
    node.raised += out
    return out


def test_a_reviewers_denial_then_another_ori_of_the_same_agency_asking_raises() -> None:
    node = Node()
    subject = person(2)
    node.answer(LOCAL, NOON, outcome="review", asked=(subject,))  # held: m0, entries 0-2
    node.answer(SIBLING, NOON + timedelta(minutes=30), asked=(subject,))  # not denied yet
    assert review(node, "m0", NOON + timedelta(hours=1), "deny") == []
    assert node.raised == []
    raised = node.answer(SIBLING, NOON + timedelta(hours=3), asked=(subject,))
    assert [(r.rule, r.ori, r.subject) for r in raised] == [(Rule.DENIED_RETRIED, SIBLING, subject)]
    denial, retry = raised[0].evidence
    # The denial's evidence: the request, the policy's hold, and the reviewer's denial.
    assert (denial.ori, denial.outcome, denial.indexes, denial.at) == (
        LOCAL,
        "deny",
        (0, 1, 6),
        NOON + timedelta(hours=1),
    )
    assert retry.indexes == (7, 8, 9)


def test_a_reviewers_approval_or_a_second_look_counts_nowhere() -> None:
    node = Node()
    subject = person(3)
    node.answer(LOCAL, NOON, outcome="review", asked=(subject,))
    assert review(node, "m0", NOON + timedelta(minutes=5), "escalate") == []
    assert review(node, "m0", NOON + timedelta(minutes=9), "approve") == []
    assert review(node, "m0", NOON + timedelta(minutes=10), "deny") == []  # decided already
    assert node.answer(SIBLING, NOON + timedelta(hours=1), asked=(subject,)) == []
    # A reviewer's denial is no second lookup for the rules that count lookups.
    assert node.detector.entry(99, entries.ReviewAction(
        action="deny", at=NOON, message_id="m9", outcome="deny", reviewer="r1", state="NY"
    )) == []  # fmt: skip


def test_a_retry_a_day_after_the_denial_raises_nothing() -> None:
    node = Node()
    node.answer(LOCAL, NOON, outcome="deny", asked=(person(1),))
    node.answer(SIBLING, NOON + timedelta(hours=24, seconds=1), asked=(person(1),))
    assert node.raised == []


def test_one_subject_looked_up_by_three_unrelated_agencies_in_a_day() -> None:
    node = Node()
    subject = person(7)
    node.answer(LOCAL, NOON, asked=(subject,))
    node.answer(SIBLING, NOON + timedelta(hours=1), asked=(subject,))  # the same agency
    node.answer(OTHER, NOON + timedelta(hours=2), asked=(subject,))
    node.answer("NJSTP0000", NOON + timedelta(hours=24, minutes=1), asked=(person(8),))
    assert node.raised == []
    # A plate search names the owner only in its disclosure: it counts as a lookup of them.
    raised = node.answer("DCHSI0000", NOON + timedelta(hours=20), found=(subject,), key="RQ")
    assert [(r.rule, r.ori, r.subject, r.key, r.severity) for r in raised] == [
        (Rule.MANY_AGENCIES, None, subject, subject, "medium")
    ]
    assert len(raised[0].evidence) == 4
    late = NOON + timedelta(hours=48)
    node.answer("NJSTP0000", late, asked=(subject,))
    node.answer("DCHSI0000", late, found=(subject,), key="RQ")
    assert len(node.raised) == 1  # the earlier lookups are more than a day old


def test_an_off_hours_spike_from_an_ori_with_no_night_history() -> None:
    node = Node()
    for at in every(NOON, 60, 100):  # a busy day is not an off-hours spike
        node.answer(LOCAL, at)
    for at in every(NIGHT, 60, 19):
        node.answer(LOCAL, at)
    assert node.raised == []
    raised = node.answer(LOCAL, NIGHT + timedelta(minutes=30))
    assert [(r.rule, r.ori, len(r.evidence)) for r in raised] == [(Rule.OFF_HOURS, LOCAL, 20)]


def test_an_ori_that_works_nights_raises_only_above_five_times_its_usual_rate() -> None:
    node = Node()
    midnight = NIGHT - timedelta(hours=3)
    for night in range(10, 0, -1):  # 36 queries a night, one every ten minutes to 06:00
        for at in every(midnight - timedelta(days=night), 600, 36):
            node.answer(LOCAL, at)
    assert node.raised == []
    # Its usual rate: 360 queries in 10 nights of 8 off-hours, 4.5 an hour; 5 x 4.5 = 22.5.
    spike = every(NIGHT + timedelta(hours=1), 60, 23)
    for at in spike[:22]:
        node.answer(LOCAL, at)
    assert node.raised == []
    raised = node.answer(LOCAL, spike[22])
    assert [(r.rule, len(r.evidence)) for r in raised] == [(Rule.OFF_HOURS, 23)]


def test_a_state_or_local_agency_acting_for_immigration_enforcement() -> None:
    node = Node()
    node.answer("DCHSI0000", NOON, reasons=("AFM/IMMIGRATION-ENFORCEMENT",))  # federal
    node.answer(LOCAL, NOON, reasons=("AFM/CRIMINAL-LAW-ENFORCEMENT",))
    assert node.raised == []
    afm = "AFM/CRIMINAL-LAW-ENFORCEMENT,IMMIGRATION-ENFORCEMENT"
    raised = node.answer("NYSTP0000", NOON, reasons=("PUR/C", afm))
    assert [(r.rule, r.ori, r.severity) for r in raised] == [
        (Rule.ACTING_FOR_IMMIGRATION, "NYSTP0000", "high")
    ]
    again = node.answer("NYSTP0000", NOON + timedelta(hours=3), reasons=(afm,))
    assert again[0].continues == raised[0].evidence[0].index
    later = node.answer("NYSTP0000", NOON + timedelta(days=2), reasons=(afm,))
    assert later[0].continues is None  # a day later: a new alert


def test_a_states_settings_change_and_switch_off_rules() -> None:
    settings = Settings.from_mapping(
        {"bulk": {"count": 3, "minutes": 5, "severity": "high"}, "acting-for-immigration": {
            "enabled": False}}
    )  # fmt: skip
    node = Node(settings)
    afm = ("AFM/IMMIGRATION-ENFORCEMENT",)
    for at in every(NOON, 100, 3):  # 3 in 200 s: within the five-minute window
        node.answer(LOCAL, at, reasons=afm)
    assert [(r.rule, r.severity, r.window) for r in node.raised] == [
        (Rule.BULK, "high", timedelta(minutes=5))
    ]


def test_a_held_requests_late_answer_is_no_second_lookup() -> None:
    answers = Answers()
    request = entries.RequestReceived(
        at=NOON, key="DQ", message_id="m", requester=LOCAL, state="NY"
    )
    decision = entries.Decision(at=NOON, message_id="m", outcome="hold", state="NY")
    told = entries.Disclosure(
        answer_sha256="0" * 64,
        at=NOON,
        data_classes=(),
        message_id="m",
        recipient=LOCAL,
        state="NY",
    )
    assert answers.add(0, request) is None and answers.add(1, decision) is None
    lookup = answers.add(2, told)
    assert lookup is not None and (lookup.outcome, lookup.indexes) == ("hold", (0, 1, 2))
    assert answers.add(5, told) is None


def test_the_batch_form_reads_rows_and_passes_over_removed_bodies() -> None:
    node = Node()
    rows = []
    for n, at in enumerate(every(NOON, 60, 3)):
        message = f"m{n}"
        made = [
            entries.RequestReceived(
                at=at,
                key="DQ",
                message_id=message,
                reasons=("AFM/IMMIGRATION-ENFORCEMENT",),
                requester=LOCAL,
                state="NY",
            ),
            entries.Decision(at=at, message_id=message, outcome="release", state="NY"),
            entries.Notice(at=at, message_id=message, notice="subject", recipient="resident",
                           state="NY"),
            entries.Disclosure(answer_sha256="0" * 64, at=at, data_classes=(), message_id=message,
                               recipient=LOCAL, state="NY"),
        ]  # fmt: skip
        rows += [(len(rows) + i, entries.encode(e), b"") for i, e in enumerate(made)]
    rows[0] = (0, None, b"")  # the first request's body was removed by retention
    raised = list(raised_from(rows, node.detector))
    assert [r.rule for r in raised] == [Rule.ACTING_FOR_IMMIGRATION] * 2
    assert [lookup.indexes for r in raised for lookup in r.evidence] == [(4, 5, 7), (8, 9, 11)]
