"""Today's status quo, the default until a state loads its own bundle: criminal justice gets all."""

from __future__ import annotations

from stateline.node.policy.model import Decision, Outcome, PolicyRequest
from stateline.wire.grammar import DataClass

EVERYTHING = frozenset(DataClass)


class StatusQuoPolicy:
    """Any active criminal-justice agency gets every data class it asks for; others are denied."""

    policy_id = "status-quo"

    def decide(self, request: PolicyRequest) -> Decision:
        if not request.requester.agency_type.criminal_justice:
            return Decision.deny("NOT A CRIMINAL JUSTICE AGENCY", self.policy_id)
        requested = request.requested or EVERYTHING
        return Decision(Outcome.RELEASE, requested, policy_ids=(self.policy_id,))
