"""Requests and bundles the policy tests share: a request builder and a bundle on disk."""

from __future__ import annotations

from pathlib import Path

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.model import (
    Credential,
    LegalProcess,
    Mode,
    PolicyRequest,
    Purpose,
)
from stateline.wire.grammar import MKE, DataClass

ICE = Agency(
    "DCICE0000", "ICE ERO", AgencyType.FE, "US", frozenset({Mission.IMMIGRATION_ENFORCEMENT})
)
POLICE = Agency(
    "NY0010100", "Oakdale PD", AgencyType.PD, "NY", frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})
)


def request(
    state: str = "NY",
    requester: Agency = POLICE,
    data: tuple[DataClass, ...] = (DataClass.IDENTITY, DataClass.ADDRESS),
    purpose: Purpose = Purpose.CRIMINAL_INVESTIGATION,
    process: LegalProcess = LegalProcess.NONE,
    covers: frozenset[DataClass] | None = None,
    credential: Credential = Credential.ANY,
    certified: bool = True,
    mode: Mode = Mode.SINGLE,
    acting_for: frozenset[str] = frozenset(),
    delay: bool = False,
) -> PolicyRequest:
    return PolicyRequest(
        state=state,
        mke=MKE.DQ,
        requester=requester,
        requested=frozenset(data),
        acting_for_missions=acting_for,
        mode=mode,
        purpose=purpose,
        legal_process=process,
        legal_process_covers=covers,
        certification_on_file=certified,
        notice_delay_requested=delay,
        subject_credential=credential,
    )


def write_bundle(folder: Path, policies: str, manifest: str = 'title = "test"\n') -> Path:
    """A bundle folder holding one policy file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bundle.toml").write_text(manifest)
    (folder / "policies.cedar").write_text(policies)
    return folder
