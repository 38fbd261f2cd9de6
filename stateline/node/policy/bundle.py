"""Policy bundles: Cedar policies and schema read from a folder, parsed and validated once.

A bundle is a folder under ``bundles/`` (or anywhere on disk) holding ``bundle.toml``, its
``*.cedar`` policy files, optionally its own ``schema.cedarschema`` (else the shared
``bundles/stateline.cedarschema``) and its own scenario tests, ``tests.json``. A bundle that
does not parse or validate is refused with a ``BundleError`` naming the file, the line and the
message; nothing half-loaded is ever returned.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cedarpy
from cedarpy import pst

from stateline.node.policy.entities import (
    DUTY_ACTION,
    agency_entity,
    context_json,
    record_entity,
    record_uid,
)
from stateline.node.policy.model import Duty, DutyKind

BUNDLES = Path(__file__).parent / "bundles"
SHARED_SCHEMA = BUNDLES / "stateline.cedarschema"
STATUS_QUO = "status-quo"

ANNOTATIONS = frozenset({"id", "review", "escalate", "duty", "within_days", "business_days"})
"""The annotations a bundle may use; any other is a typo and refused."""


class BundleError(Exception):
    """A bundle that cannot be used, with the file and line at fault."""

    def __init__(self, file: Path | str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = str(file)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class Statement:
    """One policy's source text, where it starts, and the comment lines just above it."""

    file: Path
    line: int
    text: str
    comment: str


@dataclass(frozen=True, slots=True)
class PolicySource:
    """One policy of a bundle: its ``@id``, effect, annotations and where it is written."""

    policy_id: str
    effect: str
    annotations: Mapping[str, str]
    file: Path
    line: int
    comment: str

    @property
    def review(self) -> str | None:
        """The reason of a review forbid (``@review("...")``), or None for a plain policy."""
        return self.annotations.get("review")

    @property
    def escalate(self) -> bool:
        """True when a review this policy decides must go to the state's legal counsel."""
        return self.annotations.get("escalate") == "counsel"

    @property
    def duty(self) -> Duty | None:
        """The duty a ``@duty`` permit attaches, or None."""
        kind = self.annotations.get("duty")
        if kind is None:
            return None
        days = self.annotations.get("within_days")
        return Duty(
            DutyKind(kind),
            int(days) if days is not None else None,
            self.annotations.get("business_days") == "true",
            self.policy_id,
        )

    @property
    def where(self) -> str:
        return f"{self.file.name}:{self.line}"


@dataclass(frozen=True, slots=True)
class Bundle:
    """A parsed, validated bundle: the handles cedarpy reuses on every decision."""

    name: str
    title: str
    states: tuple[str, ...]
    folder: Path
    files: tuple[Path, ...]
    schema_file: Path
    decisions: cedarpy.PolicySet
    duties: cedarpy.PolicySet
    decision_sources: Mapping[str, PolicySource]  # Cedar's positional id -> the policy
    duty_sources: Mapping[str, PolicySource]
    schema: cedarpy.Schema
    actions: cedarpy.Entities  # the action entities and their groups, from the schema
    credential_sensitive: bool  # some policy looks at the record (its credential type)
    names_requester: bool  # some policy looks at the requester's ORI or entity id
    literals: frozenset[str]  # every string literal in the policies (for policy diff)
    action_refs: frozenset[str]  # every action or action group the policies name
    text: str  # every policy, as loaded (the baseline benchmark re-parses it)
    schema_source: str

    @property
    def policies(self) -> tuple[PolicySource, ...]:
        return (*self.decision_sources.values(), *self.duty_sources.values())

    @property
    def tests(self) -> Path:
        """The bundle's own scenario file."""
        return self.folder / "tests.json"

    def source(self, policy_id: str) -> PolicySource | None:
        """The policy with ``@id`` ``policy_id``."""
        for source in self.policies:
            if source.policy_id == policy_id:
                return source
        return None


def split_statements(path: Path, text: str) -> list[Statement]:
    """Cut Cedar source into statements at each ``;`` outside strings and comments.

    cedarpy reports parse and validation errors without a source position; knowing where each
    statement starts lets every error name its file and line.
    """
    statements: list[Statement] = []
    comment: list[str] = []
    start = -1
    start_line = line = 1
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            if start < 0:
                comment.append(text[i + 2 : end].strip())
            i = end
            continue
        if char == "\n":
            line += 1
            if start < 0 and i > 0 and text[i - 1] == "\n":
                comment = []  # a blank line ends the comment block above a policy
        elif not char.isspace() and start < 0:
            start, start_line = i, line
        if char == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n":
                    line += 1
                i += 1
        elif char == ";" and start >= 0:
            statements.append(Statement(path, start_line, text[start : i + 1], "\n".join(comment)))
            comment, start = [], -1
        i += 1
    if start >= 0:
        statements.append(Statement(path, start_line, text[start:], "\n".join(comment)))
    return statements


def _nodes(root: object) -> Iterator[object]:
    """Every PST node under ``root``, depth first."""
    stack: list[Any] = [root]
    while stack:
        value = stack.pop()
        yield value
        if isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, tuple):
            stack.extend(value)
        elif is_dataclass(value) and not isinstance(value, type):
            stack.extend(getattr(value, f.name) for f in fields(value))


def _names_requester(policy: pst.Template) -> bool:
    if not isinstance(policy.principal, pst.ScopeAny):
        return True
    for node in _nodes(policy.clauses):
        if isinstance(node, pst.GetAttr) and node.attr == "ori":
            return True
        if isinstance(node, pst.EntityUid) and node.type.basename == "Agency":
            return True
    return False


def _looks_at_record(policy: pst.Template) -> bool:
    if not isinstance(policy.resource, pst.ScopeAny):
        return True
    return any(
        isinstance(node, pst.Var) and node.name == "resource" for node in _nodes(policy.clauses)
    )


def _parse(statements: list[Statement]) -> tuple[cedarpy.PolicySet, list[pst.Template]]:
    """Parse statements as one policy set; a parse error names the statement's file and line."""
    text = "\n".join(s.text for s in statements)
    try:
        policy_set = cedarpy.PolicySet.from_str(text)
        templates = policy_set.to_pst()
    except ValueError as error:
        for statement in statements:
            try:
                cedarpy.PolicySet.from_str(statement.text)
            except ValueError as own:
                raise BundleError(statement.file, statement.line, str(own)) from own
        where = statements[0] if statements else None
        raise BundleError(
            where.file if where else "?", where.line if where else 0, str(error)
        ) from error
    if templates.templates:
        first = next(iter(templates.templates))
        raise BundleError(statements[0].file, 0, f"templates are not supported ({first})")
    ordered = sorted(templates.static_policies.items(), key=lambda item: int(item[0][6:]))
    if len(ordered) != len(statements):
        raise BundleError(statements[0].file, 0, "could not match policies to statements")
    return policy_set, [template for _, template in ordered]


def _source(statement: Statement, policy: pst.Template, seen: dict[str, Statement]) -> PolicySource:
    """Check one policy's annotations and describe it."""

    def refuse(message: str) -> BundleError:
        return BundleError(statement.file, statement.line, message)

    annotations = dict(policy.annotations)
    policy_id = annotations.get("id")
    if not policy_id:
        raise refuse('every policy needs an @id("...")')
    if policy_id in seen:
        other = seen[policy_id]
        raise refuse(f"@id {policy_id!r} is also used at {other.file.name}:{other.line}")
    seen[policy_id] = statement
    unknown = set(annotations) - ANNOTATIONS
    if unknown:
        raise refuse(f"unknown annotation @{sorted(unknown)[0]} (known: {sorted(ANNOTATIONS)})")
    if "review" in annotations and policy.effect != "forbid":
        raise refuse(f"{policy_id}: @review marks a forbid, not a {policy.effect}")
    if "escalate" in annotations and (
        "review" not in annotations or annotations["escalate"] != "counsel"
    ):
        raise refuse(f'{policy_id}: @escalate("counsel") goes with @review only')
    if "duty" in annotations:
        kinds = [k.value for k in DutyKind if k is not DutyKind.LOG]
        if annotations["duty"] not in kinds:
            raise refuse(f"{policy_id}: @duty must be one of {kinds}")
        if policy.effect != "permit" or policy.action != pst.ActionEq(
            pst.EntityUid(pst.EntityType("Action"), DUTY_ACTION)
        ):
            raise refuse(f'{policy_id}: a @duty policy is a permit on Action::"{DUTY_ACTION}"')
        days = annotations.get("within_days")
        if days is not None and not (days.isdigit() and int(days) > 0):
            raise refuse(f"{policy_id}: @within_days must be a positive whole number")
        if annotations["duty"] == DutyKind.NOTIFY_SUBJECT and days is None:
            raise refuse(f"{policy_id}: a notify-subject duty needs @within_days")
        if annotations.get("business_days", "false") not in ("true", "false"):
            raise refuse(f'{policy_id}: @business_days is "true" or "false"')
    elif {"within_days", "business_days"} & set(annotations):
        raise refuse(f"{policy_id}: @within_days and @business_days go with @duty")
    return PolicySource(
        policy_id,
        policy.effect,
        annotations,
        statement.file,
        statement.line,
        statement.comment,
    )


def _validate(
    statements: list[Statement], schema: cedarpy.Schema, sources: list[PolicySource]
) -> None:
    """Validate against the schema; the first error names the policy's file and line."""
    if not statements:
        return
    result = cedarpy.validate_policies("\n".join(s.text for s in statements), schema)
    if result.validation_passed:
        return
    error = result.errors[0]
    index = int(error.policy_id[6:]) if error.policy_id.startswith("policy") else 0
    source = sources[index]
    message = error.error.replace(f"`{error.policy_id}`", f"`{source.policy_id}`")
    raise BundleError(source.file, source.line, message)


def _schema(path: Path) -> cedarpy.Schema:
    text = path.read_text()
    try:
        return cedarpy.Schema.from_str(text)
    except ValueError as error:
        # The message names no position; point at the first line naming the token it quotes.
        line = 1
        for token in str(error).replace("`", " ").replace(":", " ").split()[::-1]:
            found = [n for n, row in enumerate(text.splitlines(), 1) if token in row]
            if found and len(token) > 2:
                line = found[0]
                break
        raise BundleError(path, line, f"schema: {error}") from error


def _probe(schema: cedarpy.Schema, schema_file: Path) -> cedarpy.Entities:
    """The schema's action entities, after checking the entity model fits the schema."""
    probe_key = ("XX0000000", "PD", "XX", ("criminal-law-enforcement",), (), False)
    probe = [agency_entity("probe", probe_key), record_entity("XX", "any")]
    try:
        actions = cedarpy.Entities.from_json_str("[]", schema)
        entities = actions.with_added_json_str(json.dumps(probe), schema)
    except ValueError as error:
        raise BundleError(
            schema_file, 1, f"schema does not fit the entity model: {error}"
        ) from error
    request = {
        "principal": {"type": "Agency", "id": "probe"},
        "action": {"type": "Action", "id": DUTY_ACTION},
        "resource": {"type": "Record", "id": record_uid("XX", "any")},
        "context": context_json("unstated", "none", True, False),
    }
    result = cedarpy.is_authorized(request, "", entities, schema)
    if result.diagnostics.errors:
        message = result.diagnostics.errors[0]
        raise BundleError(schema_file, 1, f"schema does not fit the entity model: {message}")
    return actions


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "bundle.toml"
    if not path.is_file():
        raise BundleError(path, 0, "not a bundle: bundle.toml is missing")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise BundleError(path, getattr(error, "lineno", 0), str(error)) from error


def load_bundle(name_or_path: str | Path) -> Bundle:
    """Load a bundle by name (``ny``, ``status-quo``) or by the path of its folder.

    Raises ``BundleError`` (file, line, message) if anything in it fails to parse or validate.
    """
    folder = Path(name_or_path)
    if not folder.is_dir() and isinstance(name_or_path, str) and "/" not in name_or_path:
        folder = BUNDLES / name_or_path
        if not folder.is_dir():
            raise BundleError(name_or_path, 0, f"no bundle named {name_or_path!r}: {names()}")
    manifest = _manifest(folder)
    files = [(folder / include).resolve() for include in manifest.get("include", [])]
    files += sorted(folder.glob("*.cedar"))
    if not files:
        raise BundleError(folder / "bundle.toml", 0, "the bundle has no .cedar files")
    schema_file = folder / "schema.cedarschema"
    schema_file = schema_file if schema_file.is_file() else SHARED_SCHEMA
    schema = _schema(schema_file)
    actions = _probe(schema, schema_file)

    decision_statements: list[Statement] = []
    decision_sources: list[PolicySource] = []
    duty_statements: list[Statement] = []
    duty_sources: list[PolicySource] = []
    seen: dict[str, Statement] = {}
    sensitive = False
    named = False
    literals: set[str] = set()
    action_refs: set[str] = set()
    for path in files:
        if not path.is_file():
            raise BundleError(folder / "bundle.toml", 0, f"included file {path} does not exist")
        statements = split_statements(path, path.read_text())
        if not statements:
            continue
        _set, templates = _parse(statements)
        for statement, template in zip(statements, templates, strict=True):
            source = _source(statement, template, seen)
            sensitive = sensitive or _looks_at_record(template)
            named = named or _names_requester(template)
            literals.update(
                node.value for node in _nodes(template.clauses) if isinstance(node, pst.StringLit)
            )
            action_refs.update(
                uid.id for uid in pst.entity_uids(template) if uid.type.basename == "Action"
            )
            if source.duty is not None:
                duty_statements.append(statement)
                duty_sources.append(source)
            else:
                decision_statements.append(statement)
                decision_sources.append(source)
    if not decision_statements:
        raise BundleError(folder / "bundle.toml", 0, "the bundle has no decision policies")
    _validate(decision_statements, schema, decision_sources)
    _validate(duty_statements, schema, duty_sources)
    decisions, _ = _parse(decision_statements)
    duties = _parse(duty_statements)[0] if duty_statements else cedarpy.PolicySet.from_str("")
    states = manifest.get("states", [])
    return Bundle(
        name=str(manifest.get("name", folder.name)),
        title=str(manifest.get("title", folder.name)),
        states=tuple(str(s) for s in states),
        folder=folder,
        files=tuple(files),
        schema_file=schema_file,
        decisions=decisions,
        duties=duties,
        decision_sources={f"policy{i}": s for i, s in enumerate(decision_sources)},
        duty_sources={f"policy{i}": s for i, s in enumerate(duty_sources)},
        schema=schema,
        actions=actions,
        credential_sensitive=sensitive,
        names_requester=named,
        literals=frozenset(literals),
        action_refs=frozenset(action_refs),
        text="\n".join(s.text for s in (*decision_statements, *duty_statements)),
        schema_source=schema_file.read_text(),
    )


def names() -> list[str]:
    """The bundles shipped with Stateline, by name."""
    return sorted(p.parent.name for p in BUNDLES.glob("*/bundle.toml"))


@cache
def _states() -> dict[str, str]:
    chosen: dict[str, str] = {}
    for name in names():
        manifest = tomllib.loads((BUNDLES / name / "bundle.toml").read_text())
        for state in manifest.get("states", []):
            chosen[str(state)] = name
    return chosen


def bundle_for_state(state: str) -> str:
    """The name of the bundle a state uses by default: its statute bundle, else the status quo."""
    return _states().get(state, STATUS_QUO)
