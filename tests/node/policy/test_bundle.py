"""Tests for stateline/node/policy/bundle.py: loading, refusing with file and line, choosing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stateline.node.policy.bundle import (
    BUNDLES,
    BundleError,
    bundle_for_state,
    load_bundle,
    names,
    split_statements,
)
from stateline.wire.grammar import US_STATES
from tests.node.policy.helpers import write_bundle

STATUTE_BUNDLES = ("ca", "co", "de", "il", "ma", "md", "mn", "nj", "nv", "ny", "or", "wa")
PERMIT_ALL = '@id("all")\npermit (principal, action, resource);\n'
ON_DUTY = 'permit (principal, action == Action::"duty", resource);'


def test_every_shipped_bundle_loads_and_validates() -> None:
    assert set(names()) == {"status-quo", *STATUTE_BUNDLES}
    for name in names():
        bundle = load_bundle(name)
        assert bundle.name == name
        assert bundle.decision_sources
        assert bundle.tests.is_file()


def test_a_state_picks_its_statute_bundle_else_the_status_quo() -> None:
    for name in STATUTE_BUNDLES:
        assert bundle_for_state(name.upper()) == name
    others = set(US_STATES) - {n.upper() for n in STATUTE_BUNDLES}
    assert {bundle_for_state(s) for s in others} == {"status-quo"}


def test_every_statute_policy_cites_its_clause_in_a_comment() -> None:
    citation = re.compile(
        r"(U\.S\.C\.|ILCS|RCW|VTL|Stat\.|Code|C\.R\.S\.|ORS|G\.L\.|P\.L\.|"
        r"St\. 20|HB |SB |Del\. C\.|TRUST|Laws 20|Budget Act)"
    )
    for name in names():
        for source in load_bundle(name).policies:
            assert source.comment, f"{source.policy_id} has no comment above it"
            if name != "status-quo":
                assert citation.search(source.comment), f"{source.policy_id} cites no statute"


def test_statements_know_their_line_and_comment() -> None:
    text = (
        '// header\n\n// why\n@id("a") // trailing\npermit (principal, action, resource)\n'
        'when { context.purpose == "x;y" };\n\n@id("b")\nforbid (principal, action, resource);'
    )
    first, second = split_statements(Path("p.cedar"), text)
    assert (first.line, first.comment) == (4, "why")
    assert first.text.endswith('"x;y" };')
    assert (second.line, second.comment) == (8, "")


def _refused(tmp_path: Path, policies: str) -> BundleError:
    with pytest.raises(BundleError) as caught:
        load_bundle(write_bundle(tmp_path / "b", policies))
    return caught.value


def test_a_parse_error_names_the_file_and_line(tmp_path: Path) -> None:
    error = _refused(
        tmp_path,
        PERMIT_ALL + '\n@id("bad")\nforbid (principal, action, resource)\n'
        "when { principal.type == };\n",
    )
    assert error.file.endswith("policies.cedar")
    assert error.line == 4
    assert "policies.cedar:4:" in str(error)


def test_a_validation_error_names_the_policy_file_and_line(tmp_path: Path) -> None:
    error = _refused(
        tmp_path,
        PERMIT_ALL + '\n@id("typo")\nforbid (principal, action, resource)\n'
        'when { principal.missons.contains("x") };\n',
    )
    assert error.line == 4
    assert "typo" in error.message and "missons" in error.message


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("permit (principal, action, resource);", "needs an @id"),
        (PERMIT_ALL, "also used"),
        ('@id("x")\n@reveiw("?")\nforbid (principal, action, resource);', "unknown annotation"),
        ('@id("x")\n@review("?")\npermit (principal, action, resource);', "@review marks a forbid"),
        ('@id("x")\n@escalate("counsel")\nforbid (principal, action, resource);', "@escalate"),
        (
            '@id("x")\n@duty("log")\n' + ON_DUTY,
            "@duty must be one of",
        ),
        (
            '@id("x")\n@duty("annual-report")\n' + ON_DUTY.replace("permit", "forbid"),
            "a @duty policy is a permit",
        ),
        (
            '@id("x")\n@duty("notify-subject")\n' + ON_DUTY,
            "needs @within_days",
        ),
        (
            '@id("x")\n@duty("notify-subject")\n@within_days("three")\n' + ON_DUTY,
            "positive whole number",
        ),
    ],
)
def test_annotations_are_checked(tmp_path: Path, policy: str, message: str) -> None:
    error = _refused(tmp_path, PERMIT_ALL + "\n" + policy + "\n")
    assert message in error.message
    assert error.line == 4


def test_a_broken_schema_is_refused(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", PERMIT_ALL)
    (folder / "schema.cedarschema").write_text("entity Agency = {\n  ori: Strin,\n};\n")
    with pytest.raises(BundleError) as caught:
        load_bundle(folder)
    assert caught.value.file.endswith("schema.cedarschema")
    assert caught.value.line == 2


def test_a_schema_that_does_not_fit_the_entities_is_refused(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", PERMIT_ALL)
    schema = (BUNDLES / "stateline.cedarschema").read_text().replace("certified: Bool", "x: Long")
    (folder / "schema.cedarschema").write_text(schema)
    with pytest.raises(BundleError, match="does not fit the entity model"):
        load_bundle(folder)


def test_unknown_names_and_missing_manifests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no bundle named"):
        load_bundle("atlantis")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError, match=r"bundle\.toml is missing"):
        load_bundle(tmp_path / "empty")


def test_a_bundle_knows_what_its_policies_look_at() -> None:
    assert load_bundle("mn").credential_sensitive
    assert not load_bundle("wa").credential_sensitive
    assert {"photo", "face-search", "duty"} <= load_bundle("il").action_refs
    assert "magistrate-warrant" in load_bundle("ny").literals
