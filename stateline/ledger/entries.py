"""The ledger's entries: one frozen dataclass per event kind, and their canonical bytes.

An entry names its subject only by :func:`subject_key`, an HMAC-SHA256 under the state's
secret: never a name, a licence number or a date of birth, so entries and checkpoints can be
shown to witnesses and auditors while the state can still find a person's entries. Timestamps
come in as arguments (tz-aware datetimes); nothing here reads a clock.

The canonical encoding (:func:`encode`) is compact JSON with sorted keys, ``"kind"`` and a
format version ``"v"`` included, times as RFC 3339 UTC (``Z``); :func:`decode`
accepts only what :func:`encode` produces, so every entry has exactly one byte form and the
Merkle leaf over those bytes commits to every field.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeAlias

import orjson

VERSION = 1

JSONValue: TypeAlias = str | int | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
"""A value a free-form field (legal process, details) may hold: plain JSON, no floats."""


class EntryError(ValueError):
    """Bytes that are not the canonical encoding of an entry, or an entry that cannot be one."""


def subject_key(
    secret: bytes,
    state: str,
    oln: str | None = None,
    name: str | None = None,
    dob: date | None = None,
) -> str:
    """The keyed hash that stands for a person in the ledger: HMAC-SHA256, hex.

    Give the licence number (``oln``), or the name and date of birth; the state computes both
    for one person to find all of their entries. Case and spacing are normalised first, so
    ``"doe,  john"`` and ``"DOE,JOHN"`` give the same key.
    """
    state = state.strip().upper()
    if oln is not None:
        message = f"oln\x1f{state}\x1f{''.join(oln.split()).upper()}"
    elif name is not None and dob is not None:
        words = " ".join(name.upper().replace(",", ", ").split()).replace(" ,", ",")
        message = f"name\x1f{state}\x1f{words.replace(', ', ',')}\x1f{dob.isoformat()}"
    else:
        raise ValueError("a subject key needs a licence number, or a name and a date of birth")
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def answer_digest(answer: bytes) -> str:
    """The SHA-256 (hex) a disclosure records of the exact answer bytes sent."""
    return hashlib.sha256(answer).hexdigest()


_ZERO = timedelta(0)


def _utc(entry: Any) -> None:
    """Keep entry times in UTC, so one instant has one encoding."""
    at = entry.at
    if at.tzinfo is None:
        raise EntryError("entry times must be timezone-aware")
    if at.tzinfo is not UTC or at.utcoffset() != _ZERO:
        object.__setattr__(entry, "at", at.astimezone(UTC))


# Fields are declared in alphabetical order: orjson writes a dataclass's fields in declaration
# order, so the canonical encoding has sorted keys without sorting at run time (a test checks).


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReceived:
    """A request reached the node: who asked, with which message key, why, under what process."""

    at: datetime
    key: str  # the message key (MKE): DQ, RQ, KQ...
    kind: Literal["request"] = field(default="request", init=False)
    legal_process: dict[str, JSONValue] = field(default_factory=dict)
    message_id: str
    purpose: str | None = None
    reasons: tuple[str, ...] = ()
    requester: str  # the ORI
    state: str
    subjects: tuple[str, ...] = ()
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The policy's outcome for a request, per data class, with its policy ids and duties."""

    at: datetime
    data_classes: dict[str, str] = field(default_factory=dict)  # data class -> its outcome
    duties: tuple[str, ...] = ()
    kind: Literal["decision"] = field(default="decision", init=False)
    message_id: str
    outcome: str  # release, withhold, deny, hold
    policy_ids: tuple[str, ...] = ()
    state: str
    subjects: tuple[str, ...] = ()
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewAction:
    """A reviewer acted on a held request: took it, released, denied, asked for more."""

    action: str
    at: datetime
    kind: Literal["review"] = field(default="review", init=False)
    message_id: str
    outcome: str | None = None
    reason: str | None = None
    reviewer: str  # the reviewer's staff identifier, never a name
    state: str
    subjects: tuple[str, ...] = ()
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Disclosure:
    """An answer left the node: the data classes it carried and the SHA-256 of its bytes."""

    answer_sha256: str
    at: datetime
    data_classes: tuple[str, ...]
    kind: Literal["disclosure"] = field(default="disclosure", init=False)
    message_id: str
    recipient: str  # the ORI the answer went to
    state: str
    subjects: tuple[str, ...] = ()
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A notice was sent about a request: to the subject, a court, an oversight body."""

    at: datetime
    detail: dict[str, JSONValue] = field(default_factory=dict)
    kind: Literal["notice"] = field(default="notice", init=False)
    message_id: str
    notice: str  # what kind of notice
    recipient: str  # a role or a body, never a person's name
    state: str
    subjects: tuple[str, ...] = ()
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminChange:
    """The node itself changed: policy bundle, directory, keys (a key rotation included)."""

    actor: str  # the operator's staff identifier, or the service that made the change
    at: datetime
    change: str  # policy_bundle, directory, key, key_rotation
    detail: dict[str, JSONValue] = field(default_factory=dict)
    kind: Literal["admin"] = field(default="admin", init=False)
    message_id: str  # the change's own id: an administrative change answers no message
    state: str
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)

    @property
    def subjects(self) -> tuple[str, ...]:
        """Administrative changes are about the node, never about a person."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidentAccess:
    """A resident asked to see who looked them up: the outcome, never the code or the licence.

    Wrong codes and refusals are entries too, so the person can see every try on their record.
    """

    at: datetime
    kind: Literal["resident"] = field(default="resident", init=False)
    message_id: str  # the access's own id: an access answers no message
    outcome: str  # shown, wrong-code, expired-code, locked
    shown: int = 0  # how many requests the resident was shown
    state: str
    subjects: tuple[str, ...] = ()
    v: int = field(default=VERSION, init=False)

    def __post_init__(self) -> None:
        _utc(self)


Entry: TypeAlias = (
    RequestReceived | Decision | ReviewAction | Disclosure | Notice | AdminChange | ResidentAccess
)

KINDS: dict[str, type[Entry]] = {
    cls.__dataclass_fields__["kind"].default: cls  # type: ignore[misc]
    for cls in (
        RequestReceived,
        Decision,
        ReviewAction,
        Disclosure,
        Notice,
        AdminChange,
        ResidentAccess,
    )
}
"""Every entry class by its ``kind`` name: the format as data."""

_TUPLES = {
    name: tuple(f.name for f in fields(cls) if str(f.type).startswith("tuple"))
    for name, cls in KINDS.items()
}
_OPTIONS = orjson.OPT_UTC_Z


def micros(value: datetime) -> int:
    """A time as integer microseconds since the Unix epoch (how storage keeps ``at``)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_micros(value: int) -> datetime:
    """The UTC time ``value`` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=value)


def encode(entry: Entry) -> bytes:
    """The canonical bytes of ``entry``: the Merkle leaf data."""
    try:
        return orjson.dumps(entry, option=_OPTIONS)
    except TypeError as error:  # a float, a set, a date in a free-form field
        raise EntryError(f"{entry.kind} entry is not plain JSON: {error}") from error


def decode(data: bytes) -> Entry:
    """The entry whose canonical encoding is ``data``; raises :class:`EntryError` otherwise."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise EntryError(f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise EntryError("an entry is a JSON object")
    kind = raw.pop("kind", None)
    if raw.pop("v", None) != VERSION:
        raise EntryError(f"unknown entry format version (this ledger reads v{VERSION})")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EntryError(f"unknown entry kind {kind!r}")
    at = raw.get("at")
    if not isinstance(at, str) or not at.endswith("Z"):
        raise EntryError("an entry time is RFC 3339 UTC, ending in Z")
    try:
        raw["at"] = datetime.fromisoformat(at)
        for name in _TUPLES[kind]:
            if name in raw:
                if not isinstance(raw[name], list):
                    raise EntryError(f"{kind} entry: {name} is a list")
                raw[name] = tuple(raw[name])
        entry = cls(**raw)
    except EntryError:
        raise
    except (TypeError, ValueError) as error:
        raise EntryError(f"{kind} entry: {error}") from error
    if encode(entry) != data:  # one byte form per entry: no reordered keys, no spaces
        raise EntryError(f"{kind} entry is not in canonical form")
    return entry
