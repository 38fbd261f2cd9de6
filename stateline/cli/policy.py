"""``stateline policy``: check scenarios, explain a decision, test, diff and validate bundles."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stateline.cli.common import console, errors
from stateline.config import Config
from stateline.directory.model import Agency, AgencyType, Certification, Mission
from stateline.node.policy.bundle import Bundle, BundleError, bundle_for_state, load_bundle, names
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.model import (
    ClassDecision,
    Credential,
    Decision,
    Duty,
    LegalProcess,
    Mode,
    PolicyRequest,
    Purpose,
)
from stateline.node.policy.scenarios import (
    Scenario,
    ScenarioError,
    load_scenarios,
    passes,
    result_json,
)
from stateline.node.policy.space import AXES, PROFILES, Axis, axes, diff, regions
from stateline.wire.grammar import MKE, DataClass

app = typer.Typer(help="State policy bundles: check, explain, test, diff, validate.")

JsonOut = Annotated[bool, typer.Option("--json", help="JSON Lines on stdout.")]
BundleOpt = Annotated[
    str | None,
    typer.Option("--bundle", help="Bundle name or folder (default: the state's own bundle)."),
]


class _Policies:
    """Bundles loaded once per command, by name or path."""

    def __init__(self, override: str | None = None) -> None:
        self.override = override
        self.loaded: dict[str, CedarPolicy] = {}

    def for_state(self, state: str) -> tuple[str, CedarPolicy]:
        name = self.override or bundle_for_state(state)
        if name not in self.loaded:
            self.loaded[name] = CedarPolicy.load(name)
        return self.loaded[name].bundle.name, self.loaded[name]


def _emit(obj: object) -> None:
    typer.echo(json.dumps(obj))


def _duty_text(duty: Duty) -> str:
    if duty.within_days is None:
        return duty.duty.value
    unit = " business days" if duty.business_days else " days"
    return f"{duty.duty.value} ({duty.within_days}{unit})"


def _classes(values: frozenset[DataClass]) -> str:
    return ", ".join(c.value for c in DataClass if c in values) or "-"


def _refuse_input(error: ScenarioError, as_json: bool) -> typer.Exit:
    if as_json:
        _emit({"error": error.message, "id": error.scenario, "field": error.field})
    errors.print(f"[red]invalid scenario file:[/red] {error}")
    return typer.Exit(2)


def _refuse_bundle(error: BundleError, as_json: bool) -> typer.Exit:
    if as_json:
        _emit({"error": error.message, "file": error.file, "line": error.line})
    errors.print(f"[red]bundle refused:[/red] {error}")
    return typer.Exit(2)


def _decide_all(
    scenarios: list[Scenario], policies: _Policies
) -> list[tuple[Scenario, str, Decision]]:
    out = []
    for scenario in scenarios:
        name, policy = policies.for_state(scenario.state)
        out.append((scenario, name, policy.decide(scenario.request)))
    return out


def _results_table(title: str, rows: list[tuple[Scenario, str, Decision]]) -> Table:
    table = Table(title=title)
    for column in ("id", "bundle", "outcome", "released", "duties", "policies", "pass"):
        table.add_column(column)
    for scenario, name, decision in rows:
        ok = passes(scenario.expected, decision) if scenario.expected else None
        mark = "-" if ok is None else "[green]pass[/green]" if ok else "[red]FAIL[/red]"
        table.add_row(
            scenario.id,
            name,
            decision.outcome.value,
            _classes(decision.released),
            ", ".join(_duty_text(d) for d in decision.duties),
            ", ".join(decision.policy_ids) or "-",
            mark,
        )
    return table


@app.command("check")
def check(
    file: Path,
    as_json: JsonOut = False,
    bundle: BundleOpt = None,
) -> None:
    """Decide every scenario of FILE with its state's bundle and compare with what it expects.

    Exits 0 when every scenario passes, 1 when any fails, 2 when the file is not valid.
    """
    try:
        scenarios = load_scenarios(file)
    except ScenarioError as error:
        raise _refuse_input(error, as_json) from error
    try:
        rows = _decide_all(scenarios, _Policies(bundle))
    except BundleError as error:
        raise _refuse_bundle(error, as_json) from error
    failed = [s.id for s, _n, d in rows if s.expected is not None and not passes(s.expected, d)]
    if as_json:
        for scenario, name, decision in rows:
            _emit(result_json(scenario, decision, name))
    else:
        console.print(_results_table(str(file), rows))
        console.print(f"{len(rows) - len(failed)} of {len(rows)} scenarios pass")
    raise typer.Exit(1 if failed else 0)


def _class_rows(bundle: Bundle, classes: tuple[ClassDecision, ...]) -> Table:
    table = Table()
    for column in ("data class", "verdict", "deciding policies", "why"):
        table.add_column(column)
    for decision in classes:
        where, cited = [], []
        for policy_id in decision.policy_ids:
            source = bundle.source(policy_id)
            where.append(f"{policy_id} ({source.where})" if source else policy_id)
            if source and source.comment:
                cited.append(source.comment.split(":", 1)[0])  # the statute clause it cites
        why = "; ".join(decision.review) or "; ".join(dict.fromkeys(cited))
        if decision.error:
            why = "policy evaluation error: denied (fail closed)"
        elif not decision.policy_ids:
            why = "no policy permits it"
        table.add_row(decision.data_class.value, decision.verdict.value, "\n".join(where), why)
    return table


def _explain_json(bundle: Bundle, decision: Decision) -> dict[str, object]:
    return {
        "bundle": bundle.name,
        "outcome": decision.outcome.value,
        "released": [c.value for c in DataClass if c in decision.released],
        "held": [c.value for c in DataClass if c in decision.held],
        "duties": [d.as_json() for d in decision.duties],
        "policies": list(decision.policy_ids),
        "depends_on_credential": decision.depends_on_credential,
        "classes": [
            {
                "data_class": c.data_class.value,
                "verdict": c.verdict.value,
                "policies": [
                    {"id": p, "where": s.where if (s := bundle.source(p)) else None}
                    for p in c.policy_ids
                ],
                "review": list(c.review),
                "escalate": c.escalate,
                "error": c.error,
            }
            for c in decision.classes
        ],
    }


DIRECTORY_FLAGS = ("--type", "--home-state", "--mission", "--certified")
"""The requester's facts that ``--ori`` takes from the directory instead."""


def _from_directory(ori: str, data_dir: Path | None) -> Agency:
    """The agency ``ori`` as the data directory's directory (the hub database) holds it."""
    from stateline.errors import StorageError
    from stateline.storage.directory import DirectoryStore
    from stateline.storage.engine import open_engine

    config = Config.from_env(data_dir)
    if config.database_url is None and not (config.data_dir / "hub.sqlite").is_file():
        errors.print(f"[red]no directory of agencies in {config.data_dir}[/red]")
        raise typer.Exit(1)
    engine = open_engine(config.hub_url)
    try:
        agency = DirectoryStore(engine).get(ori)
    except StorageError as error:
        errors.print(f"[red]cannot read the directory:[/red] {error}")
        raise typer.Exit(1) from error
    finally:
        engine.dispose()
    if agency is None:
        errors.print(f"[red]{ori} is not in the directory of {config.data_dir}[/red]")
        raise typer.Exit(2)
    return agency


def _certification(request: PolicyRequest) -> Certification | None:
    """The requester's certification with the deciding state, current or not."""
    return next((c for c in request.requester.certifications if c.state == request.state), None)


def _requester(request: PolicyRequest, source: str) -> dict[str, object]:
    """The requester's facts the decision used, and where they came from (``source``:
    directory, flags or scenario)."""
    agency = request.requester
    facts: dict[str, object] = {
        "ori": agency.ori,
        "source": source,
        "type": agency.agency_type.value,
        "home_state": agency.home_state,
        "missions": sorted(m.value for m in agency.missions),
        "certified": request.certification_on_file,
    }
    if source == "directory":
        filed = _certification(request)
        facts |= {
            "name": agency.name,
            "status": agency.status.value,
            "certification": None if filed is None else {
                "filed": filed.filed.isoformat(),
                "expires": filed.expires.isoformat() if filed.expires else None,
            },
        }  # fmt: skip
    return facts


def _requester_text(request: PolicyRequest, source: str) -> str:
    agency = request.requester
    named = f" ({agency.name}, {agency.status.value})" if source == "directory" else ""
    certified = "current" if request.certification_on_file else "none current"
    filed = _certification(request) if source == "directory" else None
    if filed is not None:
        until = filed.expires.isoformat() if filed.expires else "withdrawn"
        certified = f"filed {filed.filed.isoformat()}, until {until}: {certified}"
    return (
        f"requester {agency.ori}{named}, from the {source}:\n"
        f"  type {agency.agency_type.value}, home state {agency.home_state}, "
        f"missions {', '.join(sorted(agency.missions)) or '-'}\n"
        f"  use certification with {request.state}: {certified}"
    )


@app.command("explain")
def explain(
    scenario: Annotated[
        Path | None, typer.Option(help="A scenario file: explain its scenario (see --id).")
    ] = None,
    scenario_id: Annotated[
        str | None, typer.Option("--id", help="Which scenario of the file.")
    ] = None,
    state: Annotated[str, typer.Option(help="The state deciding.")] = "NY",
    bundle: BundleOpt = None,
    ori: Annotated[
        str | None,
        typer.Option(
            help="Requester ORI, read from the directory: its type, home state, missions and "
            "certification with --state come from there."
        ),
    ] = None,
    agency_type: Annotated[
        str | None, typer.Option("--type", help="Nlets agency type code (default PD).")
    ] = None,
    home_state: Annotated[str | None, typer.Option(help="Requester home state, US.")] = None,
    mission: Annotated[list[str] | None, typer.Option(help="Requester mission (repeat).")] = None,
    acting_for: Annotated[
        list[str] | None, typer.Option(help="Mission of the agency it acts for (repeat).")
    ] = None,
    mode: Annotated[str, typer.Option(help="single, bulk, partial-plate, face-search.")] = "single",
    purpose: Annotated[str, typer.Option(help="Purpose (scenario vocabulary).")] = "unstated",
    process: Annotated[str, typer.Option(help="Legal process kind.")] = "none",
    covers: Annotated[
        list[str] | None, typer.Option(help="A data class the process names (repeat).")
    ] = None,
    certified: Annotated[
        bool | None, typer.Option(help="Certification on file (default: none).")
    ] = None,
    notice_delay: Annotated[bool, typer.Option(help="Notice delay requested.")] = False,
    data: Annotated[list[str] | None, typer.Option(help="A data class asked (repeat).")] = None,
    credential: Annotated[str, typer.Option(help="Subject's credential type.")] = "any",
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory whose directory --ori is read from "
            "(default: $STATELINE_DATA or ./stateline-data).",
        ),
    ] = None,
    as_json: JsonOut = False,
) -> None:
    """Decide one request and show each data class's verdict and the policies that decided it.

    The requester: an agency of the data directory's directory (--ori), or one the flags say.
    """
    flags = (agency_type, home_state, mission, certified)
    given = [f for f, v in zip(DIRECTORY_FLAGS, flags, strict=True) if v is not None]
    if ori is not None and (given or scenario is not None):
        clash = ", ".join(given) if given else "--scenario"
        errors.print(f"[red]{clash} with --ori:[/red] the directory says who {ori} is")
        raise typer.Exit(2)
    source = "scenario" if scenario is not None else "flags" if ori is None else "directory"
    try:
        if scenario is not None:
            found = load_scenarios(scenario)
            chosen = [s for s in found if scenario_id in (None, s.id)]
            if len(chosen) != 1:
                errors.print(f"[red]{len(chosen)} scenarios match; pick one with --id[/red]")
                raise typer.Exit(2)
            request = chosen[0].request
        else:
            if ori is not None:
                requester = _from_directory(ori, data_dir)
                on_file = requester.certified_with(state, date.today())
            else:
                requester = Agency(
                    "XX0000000",
                    "XX0000000",
                    AgencyType(agency_type or "PD"),
                    home_state or state,
                    frozenset(Mission(m) for m in mission or ("criminal-law-enforcement",)),
                )
                on_file = bool(certified)
            request = PolicyRequest(
                state=state,
                mke=MKE.DQ,
                requester=requester,
                requested=frozenset(DataClass(d) for d in data or ()),
                acting_for_missions=frozenset(Mission(m).value for m in acting_for or ()),
                mode=Mode(mode),
                purpose=Purpose(purpose),
                legal_process=LegalProcess(process),
                legal_process_covers=(frozenset(DataClass(c) for c in covers) if covers else None),
                certification_on_file=on_file,
                notice_delay_requested=notice_delay,
                subject_credential=Credential(credential),
            )
    except ScenarioError as error:
        raise _refuse_input(error, as_json) from error
    except ValueError as error:
        errors.print(f"[red]invalid request:[/red] {error}")
        raise typer.Exit(2) from error
    try:
        _name, policy = _Policies(bundle).for_state(request.state)
    except BundleError as error:
        raise _refuse_bundle(error, as_json) from error
    decision = policy.decide(request)
    if as_json:
        _emit(_explain_json(policy.bundle, decision) | {"requester": _requester(request, source)})
        return
    console.print(f"[bold]{policy.bundle.title}[/bold] (bundle {policy.bundle.name})")
    console.print(_requester_text(request, source), markup=False, highlight=False, soft_wrap=True)
    console.print(_class_rows(policy.bundle, decision.classes))
    console.print(f"outcome: [bold]{decision.outcome.value}[/bold]")
    console.print(f"released: {_classes(decision.released)}")
    if decision.held:
        console.print(f"held for review: {_classes(decision.held)}")
    console.print("duties: " + ", ".join(_duty_text(d) for d in decision.duties))
    if decision.depends_on_credential:
        console.print(
            "the answer depends on the subject's credential type: decide again once it is known"
        )


@app.command("test")
def test(
    target: Annotated[
        str | None, typer.Argument(help="Bundle name or folder; all if omitted.")
    ] = None,
    as_json: JsonOut = False,
) -> None:
    """Run a bundle's own scenario tests (its tests.json); exit 1 if any fails."""
    failed = 0
    for name in [target] if target else names():
        try:
            policy = CedarPolicy.load(name)
            scenarios = load_scenarios(policy.bundle.tests)
        except BundleError as error:
            raise _refuse_bundle(error, as_json) from error
        except ScenarioError as error:
            raise _refuse_input(error, as_json) from error
        rows = [(s, policy.bundle.name, policy.decide(s.request)) for s in scenarios]
        bad = [r for r in rows if r[0].expected is not None and not passes(r[0].expected, r[2])]
        failed += len(bad)
        if as_json:
            for scenario, bundle_name, decision in rows:
                _emit(result_json(scenario, decision, bundle_name))
            continue
        status = "[green]ok[/green]" if not bad else f"[red]{len(bad)} failed[/red]"
        console.print(f"{policy.bundle.name}: {len(rows) - len(bad)}/{len(rows)} pass {status}")
        if bad:
            console.print(_results_table(f"{policy.bundle.name}: failures", bad))
    raise typer.Exit(1 if failed else 0)


@app.command("validate")
def validate(
    target: Annotated[
        str | None, typer.Argument(help="Bundle name or folder; all if omitted.")
    ] = None,
) -> None:
    """Parse and validate bundles against their schema; errors name the file and line."""
    bad = 0
    for name in [target] if target else names():
        try:
            bundle = load_bundle(name)
        except BundleError as error:
            bad += 1
            console.print(f"[red]refused[/red] {name}: {error}")
            continue
        console.print(
            f"[green]ok[/green] {bundle.name}: {len(bundle.policies)} policies in "
            f"{len(bundle.files)} files, schema {bundle.schema_file.name}"
        )
    raise typer.Exit(1 if bad else 0)


@app.command("diff")
def diff_command(
    a: Annotated[str, typer.Argument(help="Bundle name or folder.")],
    b: Annotated[str, typer.Argument(help="Bundle name or folder.")],
    state: Annotated[
        str | None, typer.Option(help="The deciding state (default: A's, B's, or TX).")
    ] = None,
    duties: Annotated[bool, typer.Option(help="Also list requests whose duties differ.")] = False,
    as_json: JsonOut = False,
) -> None:
    """List every class of request whose outcome differs between bundles A and B."""
    try:
        first, second = load_bundle(a), load_bundle(b)
    except BundleError as error:
        raise _refuse_bundle(error, as_json) from error
    where = state or next(iter((*first.states, *second.states)), "TX")
    found = regions(list(diff(first, second, where, duties=duties)))
    if as_json:
        for region in found:
            row: dict[str, object] = {
                axis: sorted(values) for axis, values in zip(AXES, region.values, strict=True)
            }
            row["classes"] = [
                {"data_class": c.value, "a": va.value, "b": vb.value}
                for c, va, vb in region.classes
            ]
            if region.duties:
                before, after = region.duties
                row["duties"] = {"a": sorted(before), "b": sorted(after)}
            _emit(row)
        return
    space = axes(first, second)
    console.print(
        f"[bold]{first.name}[/bold] vs [bold]{second.name}[/bold], deciding state {where}"
    )
    for axis in space.values():
        if len(axis.alike) > 1:
            console.print(
                f"  {axis.name}: {', '.join(axis.alike)} are named by neither bundle; "
                f"{axis.values[-1]} stands for all of them"
            )
    table = Table()
    for column in ("requester", "cert", "mode", "purpose", "process", "covers", "cred", "delay"):
        table.add_column(column)
    table.add_column("what changes (A -> B)")
    walked = _walked(space)
    for region in found:
        cells = [
            "any" if walked.get(axis) == values else ", ".join(sorted(values))
            for axis, values in zip(AXES, region.values, strict=True)
        ]
        change = [f"{c.value}: {va.value} -> {vb.value}" for c, va, vb in region.classes]
        if region.duties:
            ka, kb = (", ".join(sorted(d.value for d in s)) for s in region.duties)
            change.append(f"duties: {ka} -> {kb}")
        table.add_row(*cells, "\n".join(change))
    console.print(table)
    console.print(f"{len(found)} regions of requests differ")


def _walked(space: dict[str, Axis]) -> dict[str, frozenset[str]]:
    """The values walked on each axis, to print "any" where a region spans all of them."""
    out = {axis: frozenset(space[axis].values) for axis in ("mode", "purpose", "process")}
    out["requester"] = frozenset(p.label for p in PROFILES)
    out["certified"] = frozenset({"yes", "no"})
    out["credential"] = frozenset(space["credential"].values)
    out["delay"] = frozenset("yes" if v == "true" else "no" for v in space["notice_delay"].values)
    return out
