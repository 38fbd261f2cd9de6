"""Tests for stateline/node/policy/entities.py."""

from __future__ import annotations

import json

import cedarpy

from stateline.node.policy.bundle import SHARED_SCHEMA
from stateline.node.policy.entities import (
    action_id,
    agency_entity,
    context_json,
    principal_key,
    record_entity,
    schema_text,
)
from stateline.node.policy.model import Mode
from stateline.wire.grammar import DataClass
from tests.node.policy.helpers import ICE, request


def test_the_shipped_schema_is_the_generated_one() -> None:
    # Regenerate with: python -c "from stateline.node.policy.entities import schema_text;
    # print(schema_text(), end='')" > stateline/node/policy/bundles/stateline.cedarschema
    assert SHARED_SCHEMA.read_text() == schema_text()


def test_one_action_per_mode_and_class_in_both_groups() -> None:
    schema = cedarpy.Schema.from_str(schema_text())
    actions = json.loads(str(cedarpy.Entities.from_json_str("[]", schema)))
    by_id = {a["uid"]["id"]: {p["id"] for p in a["parents"]} for a in actions}
    assert by_id[action_id(Mode.FACE_SEARCH, DataClass.PHOTO)] == {"face-search", "photo"}
    assert len([a for a in by_id if "/" in a]) == len(Mode) * len(DataClass)
    assert "duty" in by_id


def test_the_requester_entity_carries_facts_and_no_person() -> None:
    entity = agency_entity("p0", principal_key(request(requester=ICE, certified=False)))
    assert entity["attrs"] == {
        "ori": "DCICE0000",
        "type": "FE",
        "home_state": "US",
        "missions": ["immigration-enforcement"],
        "acting_for": [],
        "certified": False,
        "criminal_justice": True,
        "federal": True,
    }
    assert record_entity("NY", "standard")["attrs"] == {"state": "NY", "credential": "standard"}
    assert json.loads(context_json("unstated", "none", True, False)) == {
        "purpose": "unstated",
        "process": "none",
        "covered": True,
        "notice_delay": False,
    }
