"""``stateline simulate``: draw a national year of DMV queries, replay it through state law."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stateline.cli.common import console, errors

app = typer.Typer(
    help="The national policy-impact simulator: a year of DMV queries, replayed through law.",
)

Jobs = Annotated[
    int, typer.Option(help="Worker threads: states drawn, or DuckDB threads, at once.")
]


def _refuse(message: str) -> typer.Exit:
    errors.print(f"[red]simulate:[/red] {escape(message)}", highlight=False)
    return typer.Exit(2)


@app.callback(invoke_without_command=True)
def simulate(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="The folder to write the year to (new).")
    ] = None,
    year: Annotated[int, typer.Option(help="The calendar the year is laid on.")] = 2025,
    scale: Annotated[
        float, typer.Option(help="Share of the national year: 0.01 draws 2.9 million queries.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed: the same seed draws the same year.")] = 0,
    jobs: Jobs = 2,
) -> None:
    """Draw a year of national DMV query traffic calibrated to the published Nlets figures and
    write it as Parquet partitioned by state and month (``simulate replay DIR`` decides it)."""
    if ctx.invoked_subcommand is not None:
        if out is not None:
            raise _refuse("--out goes with simulate itself, not with a subcommand")
        return
    if out is None:
        raise _refuse("--out DIR is required (or run simulate replay DIR)")
    from stateline.simulate.errors import SimulationError
    from stateline.simulate.generate import check_options, generate
    from stateline.simulate.mix import PROFILES
    from stateline.simulate.plan import profile_total

    try:
        check_options(year, scale)
    except SimulationError as error:
        raise _refuse(str(error)) from error
    total = sum(profile_total(p, scale) for p in PROFILES)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    try:
        with bar:
            task = bar.add_task("drawing queries", total=total)
            manifest = generate(
                out, year, scale, seed, jobs, progress=lambda n: bar.advance(task, n)
            )
    except SimulationError as error:
        raise _refuse(str(error)) from error
    console.print(
        f"{out}: {manifest.queries:,} queries from {manifest.agencies:,} agencies, "
        f"{len(manifest.by_state)} states, year {year}, scale {scale:g}, seed {seed}",
        soft_wrap=True,
    )


def _counts_row(counts: object) -> list[str]:
    from stateline.simulate.replay import Counts

    assert isinstance(counts, Counts)
    return [f"{getattr(counts, c):,}" for c in ("queries", "released", "withheld", "denied",
                                                  "held", "notices")]  # fmt: skip


_HEADINGS = ("queries", "released", "withheld in part", "denied", "held", "notices owed")


@app.command("replay")
def replay_command(
    folder: Annotated[Path, typer.Argument(help="A folder simulate --out wrote.")],
    policy: Annotated[
        str, typer.Option(help="statute: each state's own law; status-quo: Nlets today.")
    ] = "statute",
    state: Annotated[
        list[str] | None,
        typer.Option("--state", help="STATE=BUNDLE: that state decides by another bundle."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    review_minutes: Annotated[
        float, typer.Option(help="Minutes a reviewer spends on one held request.")
    ] = 10.0,
    reviewer_hours: Annotated[
        float, typer.Option(help="Hours of reviewing in one reviewer's day.")
    ] = 6.0,
    jobs: Jobs = 2,
) -> None:
    """Decide every query of a simulated year by each state's bundle (or one swapped in) and
    report what would be released, withheld, denied or held, and the review workload."""
    from stateline.simulate.errors import SimulationError
    from stateline.simulate.laws import parse_swaps
    from stateline.simulate.replay import replay

    try:
        swaps = parse_swaps(state or [])
        status = console.status("replaying the year") if not as_json else nullcontext()
        with status:
            result = replay(folder, policy, swaps, review_minutes, reviewer_hours, jobs)
    except SimulationError as error:
        raise _refuse(str(error)) from error
    if as_json:
        console.print_json(json.dumps(result.as_json()))
        return
    manifest = result.manifest
    swapped = ", ".join(f"{s}={b}" for s, b in sorted(result.laws.swaps.items()))
    console.print(
        f"{folder}: {manifest.queries:,} queries (year {manifest.year}, scale "
        f"{manifest.scale:g}) decided by {policy}{' with ' + swapped if swapped else ''}; "
        f"{result.combinations:,} distinct combinations of attributes",
        soft_wrap=True,
    )
    by_category = Table("requester category", *_HEADINGS, title="By requester category")
    for category, counts in result.categories.items():
        by_category.add_row(category, *_counts_row(counts))
    by_category.add_row("all", *_counts_row(result.total), style="bold")
    console.print(by_category)
    by_state = Table(
        "state", "bundle", *_HEADINGS, "held a day", "reviewers",
        title=f"By state (review: {review_minutes:g} min a request, {reviewer_hours:g} h a day; "
        "a day's figures are for a national year)",
    )  # fmt: skip
    for code, counts in result.states.items():
        work = result.workload[code]
        by_state.add_row(
            code, result.laws.by_state[code], *_counts_row(counts),
            f"{work.held_per_day:,.1f}", str(work.reviewers),
        )  # fmt: skip
    console.print(by_state)
    for code in sorted(result.laws.swaps):
        detail = Table("requester category", *_HEADINGS, title=f"{code} by requester category")
        for (cell_state, category), counts in result.cells.items():
            if cell_state == code:
                detail.add_row(category, *_counts_row(counts))
        console.print(detail)
