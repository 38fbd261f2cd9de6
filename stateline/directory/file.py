"""The directory file: agencies as a JSON list, read with a clear error for each bad entry.

The file holds one JSON array; each element is an object with these fields:

==============  ========  ==================================================================
field           required  value
==============  ========  ==================================================================
``ori``         yes       9 characters: a state or region code, then 7 capitals or digits
``name``        yes       the agency's name, up to 100 characters
``agency_type`` yes       an Nlets agency type code: PD SO SA LE FE JA JC JG JJ JF NJ
``home_state``  yes       2-letter state or region code, or ``US`` for a federal agency
``missions``    yes       a non-empty list of missions, e.g. ``["criminal-law-enforcement"]``
``status``      no        ``active`` (the default) or ``suspended``
``node``        no        ``true`` only for a state's xxOLN0000, xxLIC0000, xxVIN0000 ORIs
``certifications`` no     use certifications filed with states, each
                          ``{"state": "CO", "filed": "2026-01-15", "expires": "2027-01-15"}``
                          (``expires`` may be left out or ``null``: until withdrawn)
==============  ========  ==================================================================

Any other field is an error, so that a misspelt one is not silently dropped. An entry is also
refused when its ORI repeats an earlier one, or when ``checks.check_agency`` refuses it.
Credentials never appear in this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from stateline.directory.checks import check_agency
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Certification, Mission

REQUIRED = ("ori", "name", "agency_type", "home_state", "missions")
OPTIONAL = ("status", "node", "certifications")
CERTIFICATION_FIELDS = ("state", "filed", "expires")


class DirectoryError(ValueError):
    """A directory file, or one entry in it, is not valid; the message names which and why."""

    def __init__(self, problem: str, *, index: int | None = None, ori: str | None = None) -> None:
        self.problem = problem
        self.index = index
        self.ori = ori
        if index is None:
            where = "directory"
        elif ori is None:
            where = f"directory entry {index}"
        else:
            where = f"directory entry {index} ({ori})"
        super().__init__(f"{where}: {problem}")


def _text(entry: dict[str, Any], field: str) -> str:
    value = entry[field]
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string")
    return value


def _day(value: Any, field: str) -> date:
    if not isinstance(value, str):
        raise ValueError(f"certification {field} must be a date, ccyy-mm-dd")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"certification {field} {value!r} is not a date, ccyy-mm-dd") from None


def _certification(entry: Any) -> Certification:
    if not isinstance(entry, dict):
        raise ValueError("a certification must be a JSON object")
    if "state" not in entry or "filed" not in entry:
        raise ValueError("a certification needs state and filed")
    unknown = sorted(set(entry) - set(CERTIFICATION_FIELDS))
    if unknown:
        raise ValueError(f"unknown certification field {', '.join(unknown)}")
    state = entry["state"]
    if not isinstance(state, str):
        raise ValueError("certification state must be a string")
    expires = entry.get("expires")
    return Certification(
        state, _day(entry["filed"], "filed"), None if expires is None else _day(expires, "expires")
    )


def _certifications(value: Any) -> tuple[Certification, ...]:
    if not isinstance(value, list):
        raise ValueError("certifications must be a list")
    return tuple(sorted((_certification(c) for c in value), key=lambda c: c.state))


def agency_entry(agency: Agency, certifications: bool = True) -> dict[str, Any]:
    """An agency as the directory document holds it: every field, missions sorted (and its
    certifications, unless ``certifications`` is false)."""
    entry: dict[str, Any] = {
        "ori": agency.ori,
        "name": agency.name,
        "agency_type": agency.agency_type.value,
        "home_state": agency.home_state,
        "missions": sorted(m.value for m in agency.missions),
        "status": agency.status.value,
        "node": agency.node,
    }
    if certifications:
        entry["certifications"] = [
            {
                "state": c.state,
                "filed": c.filed.isoformat(),
                "expires": c.expires.isoformat() if c.expires else None,
            }
            for c in agency.certifications
        ]
    return entry


def agency_from_entry(entry: dict[str, Any], check: bool = True) -> Agency:
    """One entry to an Agency; raises ValueError with a plain reason. ``check``: also the
    directory's checks of the agency (an entry kept with a past request was checked then)."""
    missing = [field for field in REQUIRED if field not in entry]
    if missing:
        raise ValueError(f"missing field {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown field {', '.join(unknown)}")
    type_code = _text(entry, "agency_type")
    if type_code not in AgencyType.__members__:
        raise ValueError(f"unknown agency type {type_code!r}")
    missions = entry["missions"]
    if not isinstance(missions, list) or not all(isinstance(m, str) for m in missions):
        raise ValueError("missions must be a list of strings")
    known = {m.value for m in Mission}
    for mission in missions:
        if mission not in known:
            raise ValueError(f"unknown mission {mission!r}")
    status = entry.get("status", AgencyStatus.ACTIVE.value)
    if not isinstance(status, str) or status not in {s.value for s in AgencyStatus}:
        raise ValueError(f"unknown status {status!r}")
    node = entry.get("node", False)
    if not isinstance(node, bool):
        raise ValueError("node must be true or false")
    agency = Agency(
        ori=_text(entry, "ori"),
        name=_text(entry, "name"),
        agency_type=AgencyType(type_code),
        home_state=_text(entry, "home_state"),
        missions=frozenset(Mission(m) for m in missions),
        status=AgencyStatus(status),
        node=node,
        certifications=_certifications(entry.get("certifications", [])),
    )
    problem = check_agency(agency) if check else None
    if problem:
        raise ValueError(problem)
    return agency


def parse_directory(text: str | bytes) -> list[Agency]:
    """The agencies in a directory document, in file order; DirectoryError on the first bad one."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DirectoryError(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise DirectoryError("must be a JSON list of agency objects")
    agencies: list[Agency] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise DirectoryError("must be a JSON object", index=index)
        ori = entry.get("ori")
        named = ori if isinstance(ori, str) else None
        try:
            agency = agency_from_entry(entry)
        except ValueError as exc:
            raise DirectoryError(str(exc), index=index, ori=named) from None
        if agency.ori in seen:
            raise DirectoryError("duplicate ORI", index=index, ori=agency.ori)
        seen.add(agency.ori)
        agencies.append(agency)
    return agencies


def format_directory(agencies: Iterable[Agency]) -> str:
    """The directory document for ``agencies``: every field written, missions sorted."""
    entries = [agency_entry(agency) for agency in agencies]
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


def load_directory(path: str | Path) -> list[Agency]:
    """Read a directory file; DirectoryError if it cannot be read or an entry is invalid."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DirectoryError(f"cannot read {path}: {exc.strerror}") from None
    return parse_directory(raw)


def dump_directory(agencies: Iterable[Agency], path: str | Path) -> None:
    """Write ``agencies`` to a directory file that ``load_directory`` reads back unchanged."""
    Path(path).write_text(format_directory(agencies), encoding="utf-8")
