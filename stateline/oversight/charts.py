"""The transparency report's charts, as Vega-Lite specifications built with Vega-Altair: data in
the specification itself, so a page needs nothing but the Vega libraries it carries inline."""

from __future__ import annotations

from typing import Any

import altair as alt

from stateline.oversight.transparency import OUTCOME_NAMES, OUTCOMES, Report, Section

_COLOURS = ["#2b7a3d", "#c9a227", "#b03a2e", "#3b6fb6"]  # released, withheld, denied, held
_OUTCOME_SCALE = alt.Scale(domain=[OUTCOME_NAMES[o] for o in OUTCOMES], range=_COLOURS)


def _data(values: list[dict[str, Any]]) -> Any:
    """Values inline in the specification (altair's ``Data`` is not typed)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


def _long(section: Section, label: str) -> list[dict[str, Any]]:
    """One value per label and outcome, from a section whose rows are label, total, outcomes."""
    values: list[dict[str, Any]] = []
    for row in section.rows:
        for outcome, count in zip(OUTCOMES, row[2:6], strict=True):
            if count:
                values.append(
                    {label: str(row[0]), "outcome": OUTCOME_NAMES[outcome], "requests": count}
                )
    return values


def _stacked(values: list[dict[str, Any]], label: str, title: str) -> dict[str, Any]:
    chart = (
        alt.Chart(_data(values))
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X("sum(requests):Q", title="requests"),
            color=alt.Color("outcome:N", scale=_OUTCOME_SCALE, title="outcome"),
            order=alt.Order("outcome:N"),
            tooltip=[f"{label}:N", "outcome:N", "requests:Q"],
        )
        .properties(title=title, width=560)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def charts(report: Report) -> dict[str, dict[str, Any]]:
    """The report's charts by the name of the section each draws."""
    drawn: dict[str, dict[str, Any]] = {}
    category = report.section("by_category")
    if category.rows:
        drawn["by_category"] = _stacked(_long(category, "category"), "category", category.title)
    immigration = report.section("immigration")
    if immigration.rows:
        drawn["immigration"] = _stacked(
            _long(immigration, "component"), "component", immigration.title
        )
    over_time = report.section("over_time")
    if over_time.rows:
        values = [{**value, "when": str(value["when"])} for value in _long(over_time, "when")]
        chart = (
            alt.Chart(_data(values))
            .mark_bar()
            .encode(
                x=alt.X("when:T", title=report.period),
                y=alt.Y("sum(requests):Q", title="requests"),
                color=alt.Color("outcome:N", scale=_OUTCOME_SCALE, title="outcome"),
                tooltip=["when:T", "outcome:N", "requests:Q"],
            )
            .properties(title=over_time.title, width=560)
        )
        drawn["over_time"] = chart.to_dict()
    classes = report.section("classes")
    if classes.rows:
        values = [
            {"class": str(row[0]), "side": side, "requests": count}
            for row in classes.rows
            for side, count in (("released", row[1]), ("withheld", row[2]))
            if count
        ]
        chart = (
            alt.Chart(_data(values))
            .mark_bar()
            .encode(
                y=alt.Y("class:N", title=None),
                x=alt.X("requests:Q"),
                color=alt.Color(
                    "side:N",
                    scale=alt.Scale(domain=["released", "withheld"], range=_COLOURS[:2]),
                    title=None,
                ),
                yOffset="side:N",
                tooltip=["class:N", "side:N", "requests:Q"],
            )
            .properties(title=classes.title, width=560)
        )
        drawn["classes"] = chart.to_dict()
    return drawn
