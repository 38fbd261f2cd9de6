"""Completeness, not only integrity: the hub's record of answered messages against each state's
ledger, answer for disclosure.

A ledger that verifies proves nothing was changed behind its back; it cannot show an entry that
was never written, or one lost before it was folded. The hub logs every answer a state's node
gave it, with the SHA-256 of the answer's bytes (``storage.messages``), and the node's ledger
records the same digest in its disclosure entry, after the request and decision entries of the
same message. So, for every state:

- every answer the hub logged needs the message's request and decision entries and a
  disclosure with that digest in the state's ledger (:attr:`Finding.kind` ``missing``);
- every disclosure in the ledger needs an answer the hub logged with that digest
  (``unlogged``): else something left the node that the hub never passed on, or the hub's log
  lost its line.

Pure: the shell reads the hub's answers and the ledgers' entries and feeds them in, hub first
(an answer is logged only once its entries are durable, so entries read after the answers are
all there); a disclosure the hub had not logged yet when it was read is looked up again
(:meth:`Reconciler.unlogged`) before it is reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

HubAnswer = tuple[str, str, str]
"""An answer the hub logged: message id, state, SHA-256 of the answer's bytes."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the two records disagree on."""

    kind: str  # missing (answered, entries absent) or unlogged (disclosed, not logged)
    state: str
    message_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.state} message {self.message_id}: {self.detail}"


@dataclass(slots=True)
class _Seen:
    """What one state's ledger holds of one message."""

    request: bool = False
    decision: bool = False
    disclosures: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class Reconciler:
    """Feed it the hub's answers (:meth:`answered`), then every state's entries
    (:meth:`entries`); :meth:`findings` lists the disagreements."""

    expected: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    seen: dict[tuple[str, str], _Seen] = field(default_factory=dict)
    answers: int = 0
    entries_read: int = 0
    pruned: int = 0  # bodies removed by retention: not checkable

    def answered(self, answers: Iterable[HubAnswer]) -> None:
        for message_id, state, digest in answers:
            self.expected.setdefault((message_id, state), Counter())[digest] += 1
            self.answers += 1

    def entries(self, state: str, bodies: Iterable[bytes | None]) -> None:
        """One state's entries (canonical bytes; ``None`` where retention removed a body)."""
        for body in bodies:
            self.entries_read += 1
            if body is None:
                self.pruned += 1
                continue
            raw = orjson.loads(body)
            kind = raw.get("kind")
            if kind not in ("request", "decision", "disclosure"):
                continue
            seen = self.seen.get((raw["message_id"], state))
            if seen is None:
                seen = self.seen[raw["message_id"], state] = _Seen()
            if kind == "request":
                seen.request = True
            elif kind == "decision":
                seen.decision = True
            else:
                seen.disclosures[raw["answer_sha256"]] += 1

    def relogged(self, message_ids: Iterable[str], answers: Iterable[HubAnswer]) -> None:
        """The hub's answers to ``message_ids``, read again: they replace what was read of
        those messages before."""
        ids = set(message_ids)
        for key in [key for key in self.expected if key[0] in ids]:
            self.answers -= self.expected.pop(key).total()
        self.answered(answers)

    def answers_of(self, states: Iterable[str]) -> int:
        """How many of the answers read came from ``states``."""
        chosen = set(states)
        return sum(n.total() for (_id, state), n in self.expected.items() if state in chosen)

    def unlogged(self) -> list[tuple[str, str]]:
        """(message id, state) of the disclosures no logged answer accounts for yet: look
        them up in the hub again before they are reported."""
        return sorted(
            key
            for key, seen in self.seen.items()
            if seen.disclosures - self.expected.get(key, Counter())
        )

    def findings(self, states: Iterable[str]) -> list[Finding]:
        """Every disagreement, for the states whose ledgers were read, in a stable order."""
        read = set(states)
        found: list[Finding] = []
        for (message_id, state), digests in self.expected.items():
            if state not in read:
                continue
            seen = self.seen.get((message_id, state), _Seen())
            lacking = [
                name
                for name, present in (("request", seen.request), ("decision", seen.decision))
                if not present
            ]
            absent = digests - seen.disclosures
            if absent:
                lacking.append(f"disclosure of {_answers(absent)}")
            if lacking:
                found.append(
                    Finding(
                        "missing",
                        state,
                        message_id,
                        "answered, but the ledger has no " + ", no ".join(lacking),
                    )
                )
        for (message_id, state), seen in self.seen.items():
            extra = seen.disclosures - self.expected.get((message_id, state), Counter())
            if extra:
                known = (message_id, state) in self.expected
                why = (
                    "the hub logged other answers to it"
                    if known
                    else "the hub logged no answer of this state to it"
                )
                found.append(
                    Finding(
                        "unlogged",
                        state,
                        message_id,
                        f"the ledger records a disclosure of {_answers(extra)}; {why}",
                    )
                )
        return sorted(found, key=lambda f: (f.kind, f.state, f.message_id))


def _answers(digests: Counter[str]) -> str:
    parts = [f"{digest[:12]}…" for digest in sorted(digests.elements())]
    return ("an answer " if len(parts) == 1 else f"{len(parts)} answers ") + ", ".join(parts)
